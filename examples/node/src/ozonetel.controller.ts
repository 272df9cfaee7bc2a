import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common'
import type { AbandonedCall, RecordingResponse } from '@helix-engage/native'

import { AssistRegistry } from './assist-registry.service'
import { OzonetelService } from './ozonetel.service'

interface RecordingBody {
  ucid?: string
  action?: 'pause' | 'unPause'
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

/**
 * The sidecar's account-level Ozonetel endpoints (no agent acts in them). Call control and
 * everything else an agent does is on the desk (`desk.controller.ts`), behind a session.
 */
@Controller('api/ozonetel')
export class OzonetelController {
  constructor(
    private readonly ozonetel: OzonetelService,
    private readonly registry: AssistRegistry,
  ) {}

  /**
   * Pauses or resumes the call's recording, and live assist follows with no extra call: a
   * paused recording makes the call's session (the gateway's `start` with this `ucid`)
   * private — no audio to Deepgram, no text to the LLM, one `[private]` marker in the
   * transcript — and resuming ends the stretch.
   *
   * Fail safe, because the agent pauses exactly when the caller is about to read out a card or
   * policy number: privacy goes ON when the pause is asked for, before Ozonetel answers and
   * whether or not it succeeds (a failed pause still means "do not transcribe this"); it goes
   * OFF only once Ozonetel has confirmed the resume (a failed resume leaves the call private,
   * and the agent can retry or use the gateway's `private` toggle).
   */
  @Post('recording')
  @HttpCode(200)
  async recording(@Body() body: RecordingBody = {}): Promise<RecordingResponse> {
    if (!nonEmpty(body.ucid) || (body.action !== 'pause' && body.action !== 'unPause')) {
      throw new BadRequestException("ucid and action ('pause' or 'unPause') are required")
    }
    if (body.action === 'pause') {
      this.registry.recordingPaused(body.ucid, true)
      return this.ozonetel.recording(body.ucid, 'pause')
    }
    // Throws on failure: privacy stays on.
    const resumed = await this.ozonetel.recording(body.ucid, 'unPause')
    if (!resumed.paused) this.registry.recordingPaused(body.ucid, false)
    return resumed
  }

  @Get('missed-calls')
  missedCalls(
    @Query('fromTime') fromTime?: string,
    @Query('toTime') toTime?: string,
    @Query('campaignName') campaignName?: string,
  ): Promise<AbandonedCall[]> {
    return this.ozonetel.missedCalls({
      ...(fromTime ? { fromTime } : {}),
      ...(toTime ? { toTime } : {}),
      ...(campaignName ? { campaignName } : {}),
    })
  }
}
