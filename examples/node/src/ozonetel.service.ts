import { Inject, Injectable, Logger } from '@nestjs/common'
import {
  AbandonedCall,
  AbandonedCallsQuery,
  AssistEvent,
  AudioFormat,
  LeadContext,
  LiveAssist,
  LiveAssistConfig,
  OzonetelClient,
  RecordingResponse,
} from '@helix-engage/native'

import { HELIX_CONFIG, HelixConfig } from './config'
import { isHelixError } from './helix-error.filter'

/** After a failed disposition-list fetch, sessions go without a list for this long before the next try. */
const DISPOSITIONS_RETRY_MS = 60_000

/**
 * The sidecar's one door to Ozonetel and live assist: a thin wrapper over the native module.
 * The client is the account's; what acts as an agent goes through a desk session's
 * `OzonetelAgent` (`agent-sessions.service.ts`).
 */
@Injectable()
export class OzonetelService {
  readonly client: OzonetelClient
  private readonly logger = new Logger(OzonetelService.name)
  /** The account's dispositions, fetched once per process (a success is kept for good). */
  private dispositionList?: Promise<string[] | undefined>
  private dispositionsFailedAt = 0

  constructor(@Inject(HELIX_CONFIG) private readonly config: HelixConfig) {
    this.client = new OzonetelClient(config.ozonetel)
  }

  recording(ucid: string, action: 'pause' | 'unPause'): Promise<RecordingResponse> {
    return action === 'pause' ? this.client.pauseRecording(ucid) : this.client.resumeRecording(ucid)
  }

  missedCalls(query: AbandonedCallsQuery = {}): Promise<AbandonedCall[]> {
    return this.client.abandonedCalls(query)
  }

  /**
   * The account's dispositions, or `undefined` when Ozonetel could not be asked: the failure is
   * logged (its code and message only — the library's messages carry no key or token) and
   * retried at most once a minute, so every session start does not wait on a failing call.
   */
  dispositions(): Promise<string[] | undefined> {
    if (!this.dispositionList && Date.now() - this.dispositionsFailedAt >= DISPOSITIONS_RETRY_MS) {
      this.dispositionList = this.client.dispositions().catch((error: unknown) => {
        const why = isHelixError(error) ? `${error.code}: ${error.message}` : 'unexpected error'
        this.logger.warn(`the disposition list could not be fetched (${why}); post-call summaries go without one`)
        this.dispositionsFailedAt = Date.now()
        this.dispositionList = undefined
        return undefined
      })
    }
    return this.dispositionList ?? Promise.resolve(undefined)
  }

  /** Starts live assist for one call; `onEvent` gets every event, `closed` last. */
  async startAssist(
    call: { lead?: LeadContext; audio?: AudioFormat },
    onEvent: (event: AssistEvent) => void,
  ): Promise<LiveAssist> {
    return LiveAssist.start({ ...(await this.assistConfig()), ...call }, onEvent)
  }

  /** The configured assist options, with the account's dispositions in a post-call summary that names none. */
  private async assistConfig(): Promise<Omit<LiveAssistConfig, 'lead' | 'audio'>> {
    const assist = this.config.assist
    const postCall = assist.suggestions?.postCall
    if (!assist.suggestions || !postCall || postCall.dispositions) return assist
    const dispositions = await this.dispositions()
    if (!dispositions) return assist
    return { ...assist, suggestions: { ...assist.suggestions, postCall: { ...postCall, dispositions } } }
  }
}
