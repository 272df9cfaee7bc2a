import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common'
import type { AbandonedCall, RecordingResponse } from '@helix-engage/native'

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
  constructor(private readonly ozonetel: OzonetelService) {}

  @Post('recording')
  @HttpCode(200)
  recording(@Body() body: RecordingBody = {}): Promise<RecordingResponse> {
    if (!nonEmpty(body.ucid) || (body.action !== 'pause' && body.action !== 'unPause')) {
      throw new BadRequestException("ucid and action ('pause' or 'unPause') are required")
    }
    return this.ozonetel.recording(body.ucid, body.action)
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
