import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common'
import { SidecarRegistry } from '@helix-engage/native'
import type { SidecarRegistration as Registration } from '@helix-engage/native'

import { HELIX_CONFIG, HelixConfig } from './config'

/**
 * Registers this sidecar with the account's event dispatcher (`helix events dispatch`).
 *
 * Ozonetel sends every agent's events to one URL per account; the dispatcher forwards each to
 * the sidecar that registered its agent. At start the sidecar registers its directory's agents
 * at `POST {sidecarUrl}/ozonetel/events` (both kinds on one URL: the dispatcher posts all of a
 * sidecar's events to the one URL it registered), heartbeats every TTL/3 so a sidecar that dies
 * stops receiving within its TTL, and deregisters on shutdown so its agents become unknown at
 * once. Off unless `config.routing` is set.
 */
@Injectable()
export class SidecarRegistration implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('SidecarRegistration')
  private registry?: SidecarRegistry
  private timer?: NodeJS.Timeout
  private beating?: Promise<void>
  private readonly lost = new Set<string>()

  constructor(@Inject(HELIX_CONFIG) private readonly config: HelixConfig) {}

  /** The URL registered: the dispatcher POSTs there, so it carries `?key=` when the webhooks need it. */
  get eventUrl(): string | undefined {
    const routing = this.config.routing
    if (!routing) return undefined
    const query = this.config.webhookKey ? `?key=${encodeURIComponent(this.config.webhookKey)}` : ''
    return `${routing.sidecarUrl.replace(/\/+$/, '')}/ozonetel/events${query}`
  }

  /**
   * Registers before the HTTP server listens (Nest runs this inside `listen()`): an event the
   * dispatcher forwards in those few milliseconds is retried by it with backoff. A registry that
   * cannot be reached stops the start-up: a sidecar that is silently not routed to loses events.
   */
  async onApplicationBootstrap(): Promise<void> {
    const routing = this.config.routing
    if (!routing) return
    this.registry = await SidecarRegistry.connect(this.config.ozonetel.userName, routing.redisUrl, { prefix: routing.prefix })
    await this.register()
    const ttlMs = routing.ttlSecs * 1000
    this.timer = setInterval(() => {
      // One heartbeat at a time: a slow Redis must not pile them up.
      this.beating ??= this.heartbeat(ttlMs).finally(() => (this.beating = undefined))
    }, Math.max(1, Math.floor(ttlMs / 3)))
    // Heartbeats alone must not keep a process alive that is otherwise done.
    this.timer.unref()
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.registry || !this.config.routing) return
    clearInterval(this.timer)
    this.timer = undefined
    await this.beating
    try {
      await this.registry.deregister(this.config.routing.sidecarId)
    } catch (error) {
      // The TTL removes it anyway.
      this.log.warn(`could not deregister (its registration expires by itself): ${describe(error)}`)
    }
  }

  private async register(): Promise<void> {
    const routing = this.config.routing!
    const agents = Object.keys(this.config.agents)
    this.lost.clear()
    const result: Registration = await this.registry!.register(routing.sidecarId, this.eventUrl!, agents, routing.ttlSecs * 1000)
    this.log.log(`registered ${agents.length} agents as ${routing.sidecarId} with the event dispatcher`)
    for (const { agentId, fromSidecarId } of result.displaced) {
      this.log.warn(`agent ${agentId} was served by sidecar ${fromSidecarId}; its events now come here`)
    }
  }

  private async heartbeat(ttlMs: number): Promise<void> {
    const routing = this.config.routing!
    try {
      const serving = await this.registry!.heartbeat(routing.sidecarId, ttlMs)
      if (serving === null) {
        // Expired (Redis restarted, or heartbeats were late): register again.
        this.log.warn(`the registration of ${routing.sidecarId} had expired; registering again`)
        await this.register()
        return
      }
      // Each taken agent once, not at every heartbeat.
      const lost = Object.keys(this.config.agents).filter((a) => !serving.includes(a) && !this.lost.has(a))
      for (const a of lost) this.lost.add(a)
      if (lost.length > 0) this.log.warn(`another sidecar registered ${lost.join(', ')} later; their events go there`)
    } catch (error) {
      // A Redis blip: the next heartbeat tries again, well within the TTL.
      this.log.warn(`heartbeat failed: ${describe(error)}`)
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
