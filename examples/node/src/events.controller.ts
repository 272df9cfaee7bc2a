import { BadRequestException, Controller, ForbiddenException, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common'
import type { RawBodyRequest } from '@nestjs/common'
import { OzonetelClient } from '@helix-engage/native'
import { timingSafeEqual } from 'node:crypto'

import { HELIX_CONFIG, HelixConfig } from './config'
import { EventsService } from './events.service'

interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Ozonetel's event webhooks: `POST /ozonetel/events/call` and `/ozonetel/events/agent` (what
 * `EventsService.subscribe` registers with Ozonetel), and `POST /ozonetel/events` taking either
 * kind (what the sidecar registers with `helix events dispatch`), JSON
 * or form bodies, parsed by the native module from the raw bytes (so UCIDs above 2^53 stay
 * exact). An event of the other kind on a path is refused, as is a missing `?key=` when
 * `webhookKey` is configured.
 */
@Controller('ozonetel/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @Inject(HELIX_CONFIG) private readonly config: HelixConfig,
  ) {}

  /**
   * Both kinds on one URL: what `helix events dispatch` forwards to (it POSTs every event of a
   * sidecar's agents, body and content type unchanged, to the one URL the sidecar registered).
   */
  @Post()
  @HttpCode(200)
  receiveAny(@Query('key') key: string | undefined, @Req() request: RawBodyRequest<WebhookRequest>) {
    return this.accept(undefined, key, request)
  }

  @Post(':kind')
  @HttpCode(200)
  receive(@Param('kind') kind: string, @Query('key') key: string | undefined, @Req() request: RawBodyRequest<WebhookRequest>) {
    if (kind !== 'call' && kind !== 'agent') throw new BadRequestException("events are 'call' or 'agent'")
    return this.accept(kind, key, request)
  }

  private accept(kind: 'call' | 'agent' | undefined, key: string | undefined, request: RawBodyRequest<WebhookRequest>) {
    if (this.config.webhookKey && !(typeof key === 'string' && sameKey(key, this.config.webhookKey))) {
      throw new ForbiddenException('unknown webhook key')
    }
    const contentType = request.headers['content-type']
    if (typeof contentType !== 'string' || !request.rawBody) {
      throw new BadRequestException('an event is a JSON or form body')
    }
    const event = OzonetelClient.parseEvent(contentType, request.rawBody)
    if (kind && event.kind !== kind) throw new BadRequestException(`a ${event.kind} event was posted to the ${kind} webhook`)
    this.events.record(event)
    return { received: true }
  }
}
