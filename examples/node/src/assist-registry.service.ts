import { Injectable, Logger } from '@nestjs/common'
import type { LiveAssist, PostCallSummary } from '@helix-engage/native'

import { BoundedMap } from './bounded-map'

/** How many calls' state the sidecar remembers, and for how long. */
const CALLS_KEPT = 500
const CALL_TTL_MS = 60 * 60 * 1000

/**
 * The sidecar's live-assist sessions by the call they serve (the `ucid` of the gateway's
 * `start`), so an HTTP request about a call — pausing its recording — reaches that call's
 * session. Also remembers, per call, whether its recording is paused (a session that starts or
 * restarts mid-pause starts private) and the post-call summary of its last session (the
 * disposition draft), each for the last 500 calls and at most an hour.
 */
@Injectable()
export class AssistRegistry {
  private readonly logger = new Logger(AssistRegistry.name)
  private readonly live = new Map<string, LiveAssist>()
  /** Calls whose recording is paused: their sessions are private. */
  private readonly paused = new BoundedMap<string, true>(CALLS_KEPT, CALL_TTL_MS)
  private readonly drafts = new BoundedMap<string, PostCallSummary>(CALLS_KEPT, CALL_TTL_MS)

  /** Whether a running session serves `ucid`. */
  has(ucid: string): boolean {
    return this.live.has(ucid)
  }

  /** Registers `assist` for `ucid`; when the call's recording is paused it starts private. */
  add(ucid: string, assist: LiveAssist): void {
    this.live.set(ucid, assist)
    if (this.paused.has(ucid)) assist.setPrivate(true)
  }

  /** Forgets `assist` (only if it is still the one registered for `ucid`). */
  remove(ucid: string, assist: LiveAssist): void {
    if (this.live.get(ucid) === assist) this.live.delete(ucid)
  }

  /**
   * The call's recording was paused (`true`) or resumed (`false`): its running session, and any
   * session that starts for it later, follows. A session already stopped is ignored (it takes
   * no audio any more).
   */
  recordingPaused(ucid: string, paused: boolean): void {
    if (paused) this.paused.set(ucid, true)
    else this.paused.delete(ucid)
    const assist = this.live.get(ucid)
    if (!assist) return
    try {
      assist.setPrivate(paused)
    } catch (error) {
      // CLOSED: the session ended between the lookup and now; nothing is transcribed any more.
      this.logger.debug(`setPrivate on a session that just ended: ${(error as Error).message}`)
    }
  }

  /** Keeps the post-call summary of `ucid`'s session (the latest wins). */
  keepDraft(ucid: string, postCall: PostCallSummary): void {
    this.drafts.set(ucid, postCall)
  }

  /** The post-call summary of `ucid`'s last session, if it is recent. */
  draft(ucid: string): PostCallSummary | undefined {
    return this.drafts.get(ucid)
  }
}
