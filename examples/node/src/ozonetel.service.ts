import { Inject, Injectable } from '@nestjs/common'
import {
  AbandonedCall,
  AbandonedCallsQuery,
  AssistEvent,
  AudioFormat,
  LeadContext,
  LiveAssist,
  OzonetelClient,
  RecordingResponse,
} from '@helix-engage/native'

import { HELIX_CONFIG, HelixConfig } from './config'

/**
 * The sidecar's one door to Ozonetel and live assist: a thin wrapper over the native module.
 * The client is the account's; what acts as an agent goes through a desk session's
 * `OzonetelAgent` (`agent-sessions.service.ts`).
 */
@Injectable()
export class OzonetelService {
  readonly client: OzonetelClient

  constructor(@Inject(HELIX_CONFIG) private readonly config: HelixConfig) {
    this.client = new OzonetelClient(config.ozonetel)
  }

  recording(ucid: string, action: 'pause' | 'unPause'): Promise<RecordingResponse> {
    return action === 'pause' ? this.client.pauseRecording(ucid) : this.client.resumeRecording(ucid)
  }

  missedCalls(query: AbandonedCallsQuery = {}): Promise<AbandonedCall[]> {
    return this.client.abandonedCalls(query)
  }

  /** Starts live assist for one call; `onEvent` gets every event, `closed` last. */
  startAssist(
    call: { lead?: LeadContext; audio?: AudioFormat },
    onEvent: (event: AssistEvent) => void,
  ): Promise<LiveAssist> {
    return LiveAssist.start({ ...this.config.assist, ...call }, onEvent)
  }
}
