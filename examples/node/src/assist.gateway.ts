import { OnGatewayConnection, OnGatewayDisconnect, WebSocketGateway } from '@nestjs/websockets'
import type { AssistEvent, LiveAssist } from '@helix-engage/native'
import { WebSocket, RawData } from 'ws'

import {
  ClientMessage,
  ConnectionState,
  DEFAULT_AUDIO,
  ErrorData,
  ServerMessage,
  StartMessage,
  parseClientMessage,
} from './assist.protocol'
import { AssistRegistry } from './assist-registry.service'
import { isHelixError } from './helix-error.filter'
import { OzonetelService } from './ozonetel.service'

interface Connection extends ConnectionState {
  assist?: LiveAssist
  /** The call the running session serves (`start`'s `ucid`), if it named one. */
  ucid?: string
}

function errorData(error: unknown): ErrorData {
  return isHelixError(error)
    ? { code: error.code, message: error.message }
    : { code: 'INTERNAL', message: 'live assist failed' }
}

/** ws hands a frame over as a Buffer, an ArrayBuffer or fragments, depending on `binaryType`. */
function toBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw
  if (Array.isArray(raw)) return Buffer.concat(raw)
  return Buffer.from(raw)
}

/**
 * Live assist for a browser, speaking the protocol of docs/assist-gateway.md (types and checks in
 * `assist.protocol.ts`). The gateway reads every frame itself rather than through
 * `@SubscribeMessage`: Nest's ws adapter drops a frame it cannot parse or route without a word,
 * and the protocol answers every bad frame with an `error` and keeps the session going.
 */
@WebSocketGateway({ path: '/api/assist' })
export class AssistGateway implements OnGatewayConnection<WebSocket>, OnGatewayDisconnect<WebSocket> {
  private readonly connections = new Map<WebSocket, Connection>()

  constructor(
    private readonly ozonetel: OzonetelService,
    private readonly registry: AssistRegistry,
  ) {}

  handleConnection(client: WebSocket): void {
    this.connections.set(client, { phase: 'idle', audio: DEFAULT_AUDIO })
    client.on('message', (raw, isBinary) => {
      // A handler that threw would reach ws as an unhandled rejection: answer instead.
      this.onFrame(client, toBuffer(raw), isBinary).catch((error) => this.send(client, { event: 'error', data: errorData(error) }))
    })
  }

  async handleDisconnect(client: WebSocket): Promise<void> {
    const connection = this.connections.get(client)
    this.connections.delete(client)
    const assist = connection?.assist
    if (!connection || !assist) return
    connection.assist = undefined
    // Unregistered at once, so a reconnecting browser's new `start` for the call is not refused.
    this.release(connection, assist)
    await assist.stop().catch(() => undefined)
  }

  private async onFrame(client: WebSocket, raw: Buffer, isBinary: boolean): Promise<void> {
    const connection = this.connections.get(client)
    if (!connection) return
    const parsed = parseClientMessage(raw, isBinary, connection)
    if (!parsed.ok) return this.send(client, { event: 'error', data: parsed.error })
    await this.handle(client, connection, parsed.message)
  }

  private async handle(client: WebSocket, connection: Connection, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'start':
        return this.start(client, connection, message.data)
      case 'audio':
        // 'dropped' (queue full) is counted in the summary's metrics and warned about by the library.
        connection.assist!.sendAudio(message.chunk)
        return
      case 'hold':
        connection.assist!.setOnHold(message.on)
        return
      case 'private':
        // The agent's own toggle, beside the recording's: it acts on this session only.
        connection.assist!.setPrivate(message.on)
        return
      case 'lead':
        connection.assist!.updateLead(message.lead)
        return
      case 'stop': {
        const assist = connection.assist!
        // Back to idle at once: frames after `stop` get NOT_STARTED, a new `start` may follow.
        connection.assist = undefined
        connection.phase = 'idle'
        this.release(connection, assist)
        return this.send(client, { event: 'summary', data: await assist.stop() })
      }
    }
  }

  private async start(client: WebSocket, connection: Connection, data: StartMessage): Promise<void> {
    const { ucid, ...call } = data
    if (ucid !== undefined && this.registry.has(ucid)) {
      return this.send(client, { event: 'error', data: { code: 'CALL_IN_USE', message: 'another live session serves this call' } })
    }
    connection.phase = 'starting'
    let assist: LiveAssist
    try {
      assist = await this.ozonetel.startAssist(call, (event) => {
        // The session's post-call summary is the call's disposition draft (every way a session
        // ends emits `closed` with the summary).
        if (event.type === 'closed' && ucid !== undefined && event.postCall) this.registry.keepDraft(ucid, event.postCall)
        this.push(client, event)
      })
    } catch (error) {
      connection.phase = 'idle'
      return this.send(client, { event: 'error', data: errorData(error) })
    }
    if (this.connections.get(client) !== connection) {
      // The socket closed while the session was starting: nobody is left to hear it.
      await assist.stop().catch(() => undefined)
      return
    }
    if (ucid !== undefined && this.registry.has(ucid)) {
      // Another socket's `start` for the call won the race while this one was starting.
      await assist.stop().catch(() => undefined)
      connection.phase = 'idle'
      return this.send(client, { event: 'error', data: { code: 'CALL_IN_USE', message: 'another live session serves this call' } })
    }
    connection.assist = assist
    connection.ucid = ucid
    connection.audio = data.audio ?? DEFAULT_AUDIO
    connection.phase = 'running'
    // Registered before `started`: a recording paused now, or already paused, makes it private
    // before the browser sends its first frame.
    if (ucid !== undefined) this.registry.add(ucid, assist)
    this.send(client, { event: 'started', data: {} })
  }

  private release(connection: Connection, assist: LiveAssist): void {
    if (connection.ucid !== undefined) this.registry.remove(connection.ucid, assist)
    connection.ucid = undefined
  }

  private push(client: WebSocket, event: AssistEvent): void {
    this.send(client, { event: event.type, data: event })
  }

  private send(client: WebSocket, message: ServerMessage): void {
    if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(message))
  }
}
