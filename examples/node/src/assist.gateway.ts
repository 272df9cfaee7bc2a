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
import { isHelixError } from './helix-error.filter'
import { OzonetelService } from './ozonetel.service'

interface Connection extends ConnectionState {
  assist?: LiveAssist
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

  constructor(private readonly ozonetel: OzonetelService) {}

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
      case 'lead':
        connection.assist!.updateLead(message.lead)
        return
      case 'stop': {
        const assist = connection.assist!
        // Back to idle at once: frames after `stop` get NOT_STARTED, a new `start` may follow.
        connection.assist = undefined
        connection.phase = 'idle'
        return this.send(client, { event: 'summary', data: await assist.stop() })
      }
    }
  }

  private async start(client: WebSocket, connection: Connection, data: StartMessage): Promise<void> {
    connection.phase = 'starting'
    let assist: LiveAssist
    try {
      assist = await this.ozonetel.startAssist(data, (event) => this.push(client, event))
    } catch (error) {
      connection.phase = 'idle'
      return this.send(client, { event: 'error', data: errorData(error) })
    }
    if (this.connections.get(client) !== connection) {
      // The socket closed while the session was starting: nobody is left to hear it.
      await assist.stop().catch(() => undefined)
      return
    }
    connection.assist = assist
    connection.audio = data.audio ?? DEFAULT_AUDIO
    connection.phase = 'running'
    this.send(client, { event: 'started', data: {} })
  }

  private push(client: WebSocket, event: AssistEvent): void {
    this.send(client, { event: event.type, data: event })
  }

  private send(client: WebSocket, message: ServerMessage): void {
    if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(message))
  }
}
