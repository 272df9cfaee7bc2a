import { BadRequestException, Body, Controller, Get, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common'
import type { CallAction, Disposition, OzonetelAgent, Transfer, TransferMode } from '@helix-engage/native'
import { randomUUID } from 'node:crypto'

import { AgentAuthGuard, CurrentSession, CurrentToken } from './agent-auth.guard'
import { AgentSession, AgentSessions } from './agent-sessions.service'
import { AssistRegistry } from './assist-registry.service'
import { OzonetelService } from './ozonetel.service'

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

/** What the desk shows of an agent (never its number). */
function describe(agent: OzonetelAgent): { id: string; phoneName: string | null; campaign: string | null; did: string | null } {
  return { id: agent.id, phoneName: agent.phoneName, campaign: agent.campaign, did: agent.did }
}

function describeTransfer(id: string, t: Transfer): { id: string; ucid: string; target: string; mode: TransferMode; state: string } {
  return { id, ucid: t.ucid, target: t.target, mode: t.mode, state: t.state }
}

/** Login and logout: the only way to get (and end) a desk session. */
@Controller('agents')
export class AgentsController {
  constructor(private readonly sessions: AgentSessions) {}

  /** `{ agentId, password }` → `{ session, agent, message }`; 401 for an unknown agent or a refused password. */
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: { agentId?: unknown; password?: unknown } = {}) {
    if (!nonEmpty(body.agentId) || !nonEmpty(body.password)) throw new BadRequestException('agentId and password are required')
    const { session, agent, message } = await this.sessions.login(body.agentId.trim(), body.password)
    return { session, agent: describe(agent), message }
  }

  /** `{ password }`: logs the session's agent out at Ozonetel and ends the session. */
  @Post('logout')
  @HttpCode(200)
  @UseGuards(AgentAuthGuard)
  logout(@CurrentToken() token: string, @CurrentSession() session: AgentSession, @Body() body: { password?: unknown } = {}) {
    if (!nonEmpty(body.password)) throw new BadRequestException('password is required')
    return this.sessions.logout(token, session, body.password)
  }

  @Get('me')
  @UseGuards(AgentAuthGuard)
  me(@CurrentSession() session: AgentSession) {
    return describe(session.agent)
  }
}

interface StateBody {
  state?: unknown
  reason?: unknown
  password?: unknown
}

/** The agent desk: every endpoint acts as the session's agent, and only as it. */
@Controller('desk')
@UseGuards(AgentAuthGuard)
export class DeskController {
  constructor(
    private readonly ozonetel: OzonetelService,
    private readonly registry: AssistRegistry,
  ) {}

  /** `{ state: 'ready' }`, `{ state: 'pause', reason }` or `{ state: 'forceReady', password }` (clears a stuck ACW). */
  @Post('state')
  @HttpCode(200)
  state(@CurrentSession() { agent }: AgentSession, @Body() body: StateBody = {}) {
    switch (body.state) {
      case 'ready':
        return agent.setReady()
      case 'pause':
        if (!nonEmpty(body.reason)) throw new BadRequestException('pause needs a reason')
        return agent.pause(body.reason)
      case 'forceReady':
        if (!nonEmpty(body.password)) throw new BadRequestException('forceReady needs the password (it logs out and in)')
        return agent.forceReady(body.password)
      default:
        throw new BadRequestException("state must be 'ready', 'pause' or 'forceReady'")
    }
  }

  /** `{ customer, uui? }`: a manual dial on the agent's campaign; answers the call's UCID. */
  @Post('dial')
  @HttpCode(200)
  dial(@CurrentSession() { agent }: AgentSession, @Body() body: { customer?: unknown; uui?: unknown } = {}) {
    if (!nonEmpty(body.customer)) throw new BadRequestException('customer is required')
    return agent.dial(body.customer, nonEmpty(body.uui) ? { uui: body.uui } : {})
  }

  /** `{ action, ucid, conferenceNumber? }`. */
  @Post('call-control')
  @HttpCode(200)
  callControl(
    @CurrentSession() { agent }: AgentSession,
    @Body() body: { action?: CallAction; ucid?: unknown; conferenceNumber?: unknown } = {},
  ) {
    if (!nonEmpty(body.action) || !nonEmpty(body.ucid)) throw new BadRequestException('action and ucid are required')
    if ((body.action === 'CONFERENCE' || body.action === 'KICK_CALL') && !nonEmpty(body.conferenceNumber)) {
      throw new BadRequestException(`${body.action} needs conferenceNumber`)
    }
    return agent.callControl({
      action: body.action,
      ucid: body.ucid,
      ...(nonEmpty(body.conferenceNumber) ? { conferenceNumber: body.conferenceNumber } : {}),
    })
  }

  /** `{ ucid, target, mode? }`: a warm transfer answers an id to complete or cancel. */
  @Post('transfer')
  @HttpCode(200)
  async transfer(@CurrentSession() session: AgentSession, @Body() body: { ucid?: unknown; target?: unknown; mode?: unknown } = {}) {
    if (!nonEmpty(body.ucid) || !nonEmpty(body.target)) throw new BadRequestException('ucid and target are required')
    if (body.mode !== undefined && body.mode !== 'warm' && body.mode !== 'cold') throw new BadRequestException("mode is 'warm' or 'cold'")
    const t = await session.agent.transfer({ ucid: body.ucid, target: body.target, ...(body.mode ? { mode: body.mode } : {}) })
    const id = randomUUID()
    if (t.state === 'conferenced') session.transfers.set(id, t)
    return describeTransfer(id, t)
  }

  /** Completes (the agent leaves) or cancels (the target is dropped) a warm transfer of this session. */
  @Post('transfers/:id/:step')
  @HttpCode(200)
  async finishTransfer(@CurrentSession() session: AgentSession, @Param('id') id: string, @Param('step') step: string) {
    const t = session.transfers.get(id)
    if (!t) throw new NotFoundException('no transfer of this session has that id')
    if (step === 'complete') await t.complete()
    else if (step === 'cancel') await t.cancel()
    else throw new NotFoundException("the step is 'complete' or 'cancel'")
    session.transfers.delete(id)
    return describeTransfer(id, t)
  }

  /**
   * `{ ucid, disposition, comments?, callbackAt?, pauseAfter?, autoRelease? }`: the call's
   * disposition, as this agent. Other fields are refused (400, `INVALID_INPUT`).
   */
  @Post('dispose')
  @HttpCode(200)
  dispose(@CurrentSession() { agent }: AgentSession, @Body() body: { ucid?: unknown; disposition?: unknown } & Omit<Disposition, 'code'> = {}) {
    const { ucid, disposition, ...rest } = body
    if (!nonEmpty(ucid) || !nonEmpty(disposition)) throw new BadRequestException('ucid and disposition are required')
    return agent.dispose(ucid, { ...rest, code: disposition })
  }

  /**
   * The disposition form's pre-fill for a call: the post-call summary of its live-assist session
   * (kept for the last 500 calls, an hour) and the account's dispositions. A draft only: nothing
   * is set at Ozonetel until the agent sends `POST /desk/dispose`. 404 when the call had no
   * session with a post-call summary (or it is older than an hour).
   */
  @Get('calls/:ucid/disposition-draft')
  async dispositionDraft(@Param('ucid') ucid: string) {
    const draft = this.registry.draft(ucid)
    if (!draft) throw new NotFoundException('no post-call summary for this call')
    return {
      ucid,
      suggestedDisposition: draft.suggestedDisposition,
      confidence: draft.confidence,
      summary: draft.summary,
      followUps: draft.followUps,
      dispositions: (await this.ozonetel.dispositions()) ?? [],
    }
  }

  /** The account's disposition list (what `dispose` accepts). */
  @Get('dispositions')
  dispositions() {
    return this.ozonetel.client.dispositions()
  }
}
