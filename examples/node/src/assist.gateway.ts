import {
  ConnectedSocket,
  MessageBody,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
  WsResponse,
} from '@nestjs/websockets'
import type { AssistEvent, AudioFormat, CallSummary, LeadContext, LiveAssist } from '@helix-engage/native'
import { WebSocket } from 'ws'

import { isHelixError } from './helix-error.filter'
import { OzonetelService } from './ozonetel.service'

/** `{ event: 'start', data: StartMessage }` opens a session for this socket. */
export interface StartMessage {
  lead?: LeadContext
  audio?: AudioFormat
}

type Reply = WsResponse<unknown> | undefined

function errorReply(error: unknown): WsResponse<{ code: string; message: string }> {
  return isHelixError(error)
    ? { event: 'error', data: { code: error.code, message: error.message } }
    : { event: 'error', data: { code: 'INTERNAL', message: 'live assist failed' } }
}

/**
 * Live assist for a browser: JSON text frames `{event, data}` control the session (`start`,
 * `hold`, `lead`, `stop`), binary frames are call audio. Every session event is pushed back as
 * `{ event: <type>, data: <event> }` (`transcript`, `suggestion`, …, `closed` last); `stop`
 * answers `{ event: 'summary', data }`. Closing the socket stops the session.
 */
@WebSocketGateway({ path: '/api/assist' })
export class AssistGateway implements OnGatewayDisconnect<WebSocket> {
  private readonly sessions = new Map<WebSocket, LiveAssist>()

  constructor(private readonly ozonetel: OzonetelService) {}

  @SubscribeMessage('start')
  async start(@ConnectedSocket() client: WebSocket, @MessageBody() data: StartMessage = {}): Promise<Reply> {
    if (this.sessions.has(client)) {
      return { event: 'error', data: { code: 'CLOSED', message: 'a session is already running on this socket' } }
    }
    try {
      const assist = await this.ozonetel.startAssist(
        { ...(data.lead ? { lead: data.lead } : {}), ...(data.audio ? { audio: data.audio } : {}) },
        (event) => this.push(client, event),
      )
      if (client.readyState !== WebSocket.OPEN) {
        await assist.stop().catch(() => undefined)
        return undefined
      }
      this.sessions.set(client, assist)
      return { event: 'started', data: {} }
    } catch (error) {
      return errorReply(error)
    }
  }

  @SubscribeMessage('audio')
  audio(@ConnectedSocket() client: WebSocket, @MessageBody() chunk: Buffer): Reply {
    const assist = this.sessions.get(client)
    if (!assist) return { event: 'error', data: { code: 'CLOSED', message: 'send start before audio' } }
    try {
      assist.sendAudio(chunk)
      return undefined
    } catch (error) {
      return errorReply(error)
    }
  }

  @SubscribeMessage('hold')
  hold(@ConnectedSocket() client: WebSocket, @MessageBody() data: { onHold?: unknown } = {}): Reply {
    try {
      this.sessions.get(client)?.setOnHold(data.onHold as boolean)
      return undefined
    } catch (error) {
      return errorReply(error)
    }
  }

  @SubscribeMessage('lead')
  lead(@ConnectedSocket() client: WebSocket, @MessageBody() lead: LeadContext): Reply {
    try {
      this.sessions.get(client)?.updateLead(lead)
      return undefined
    } catch (error) {
      return errorReply(error)
    }
  }

  @SubscribeMessage('stop')
  async stop(@ConnectedSocket() client: WebSocket): Promise<WsResponse<CallSummary> | Reply> {
    const assist = this.sessions.get(client)
    if (!assist) return { event: 'error', data: { code: 'CLOSED', message: 'no session on this socket' } }
    this.sessions.delete(client)
    try {
      return { event: 'summary', data: await assist.stop() }
    } catch (error) {
      return errorReply(error)
    }
  }

  async handleDisconnect(client: WebSocket): Promise<void> {
    const assist = this.sessions.get(client)
    if (!assist) return
    this.sessions.delete(client)
    await assist.stop().catch(() => undefined)
  }

  private push(client: WebSocket, event: AssistEvent): void {
    if (client.readyState === WebSocket.OPEN) {
      client.send(JSON.stringify({ event: event.type, data: event }))
    }
  }
}
