import { randomBytes } from 'node:crypto'
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common'
import type { OzonetelAgent, Transfer } from '@helix-engage/native'

import { HELIX_CONFIG, HelixConfig } from './config'
import { isHelixError } from './helix-error.filter'
import { OzonetelService } from './ozonetel.service'

/** One logged-in agent: who it is, the handle it acts through, its transfers under way. */
export interface AgentSession {
  agentId: string
  agent: OzonetelAgent
  expiresAt: number
  /** Warm transfers started in this session, by id, until completed or cancelled. */
  transfers: Map<string, Transfer>
}

const TWELVE_HOURS = 12 * 60 * 60 * 1000

/** The one answer for every failed login: it never says whether the agent id exists. */
const REFUSED = 'unknown agent or wrong password'

/**
 * Desk sessions: `login` checks the agent id and password through Ozonetel's own agent login
 * and issues an opaque bearer token mapped to the agent's `AgentRef` from the directory. Every
 * desk endpoint resolves its token here and acts as that agent; nothing defaults an agent.
 * Sessions live in this process (a replicated sidecar would keep them in its Redis).
 */
@Injectable()
export class AgentSessions {
  private readonly sessions = new Map<string, AgentSession>()
  private readonly ttlMs: number

  constructor(
    @Inject(HELIX_CONFIG) private readonly config: HelixConfig,
    private readonly ozonetel: OzonetelService,
  ) {
    this.ttlMs = config.sessionTtlMs ?? TWELVE_HOURS
  }

  /** Logs the agent in at Ozonetel and opens a session; 401 for an unknown agent or a refusal. */
  async login(agentId: string, password: string): Promise<{ session: string; agent: OzonetelAgent; message: string }> {
    // An own-property lookup: `__proto__` or `constructor` is not an agent.
    const entry = Object.prototype.hasOwnProperty.call(this.config.agents, agentId) ? this.config.agents[agentId] : undefined
    if (!entry) throw new UnauthorizedException(REFUSED)
    const agent = this.ozonetel.client.agent({ ...entry, id: agentId })
    let message: string
    try {
      message = (await agent.login(password)).message
    } catch (error) {
      if (isHelixError(error) && error.code === 'AUTH') throw new UnauthorizedException(REFUSED)
      throw error
    }
    this.sweep()
    const session = randomBytes(32).toString('base64url')
    this.sessions.set(session, { agentId: agent.id, agent, expiresAt: Date.now() + this.ttlMs, transfers: new Map() })
    return { session, agent, message }
  }

  /** Drops expired sessions (on each login, so the map is bounded by the live ones). */
  private sweep(): void {
    const now = Date.now()
    for (const [token, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(token)
  }

  /** The session a bearer token names, if it is live. */
  resolve(token: string): AgentSession | undefined {
    const session = this.sessions.get(token)
    if (session && session.expiresAt <= Date.now()) {
      this.sessions.delete(token)
      return undefined
    }
    return session
  }

  /** Logs the agent out at Ozonetel, then ends the session. */
  async logout(token: string, session: AgentSession, password: string): Promise<{ message: string }> {
    const result = await session.agent.logout(password)
    this.sessions.delete(token)
    return { message: result.message }
  }
}
