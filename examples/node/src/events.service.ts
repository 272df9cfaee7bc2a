import { Injectable } from '@nestjs/common'
import { EventEmitter } from 'node:events'
import type { OzonetelEvent } from '@helix-engage/native'

import { OzonetelService } from './ozonetel.service'

/** How many recent events are kept for `recent()`. */
const KEEP = 1000

/**
 * Ozonetel's call and agent events, as the webhook received them. Subscriptions are the
 * account's (one URL gets every agent's events): a desk routes each event to its agent by
 * `agentId`. Here they are kept (bounded) and re-emitted as `'event'`.
 */
@Injectable()
export class EventsService extends EventEmitter {
  private readonly events: OzonetelEvent[] = []

  constructor(private readonly ozonetel: OzonetelService) {
    super()
  }

  /** Subscribes the account's events to this sidecar's public base URL (`https://desk.example/…`). */
  subscribe(publicBaseUrl: string, webhookKey?: string) {
    const base = publicBaseUrl.replace(/\/+$/, '')
    const query = webhookKey ? `?key=${encodeURIComponent(webhookKey)}` : ''
    return this.ozonetel.client.subscribeEvents({
      call: `${base}/ozonetel/events/call${query}`,
      agent: `${base}/ozonetel/events/agent${query}`,
    })
  }

  record(event: OzonetelEvent): void {
    this.events.push(event)
    if (this.events.length > KEEP) this.events.splice(0, this.events.length - KEEP)
    this.emit('event', event)
  }

  /** The events received so far (the latest `KEEP`), oldest first. */
  recent(): readonly OzonetelEvent[] {
    return this.events
  }
}
