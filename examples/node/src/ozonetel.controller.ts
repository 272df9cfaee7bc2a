import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common'
import type { AbandonedCall, CallAction, CallControlResponse, RecordingResponse } from '@helix-engage/native'

import { OzonetelService } from './ozonetel.service'

interface CallControlBody {
  action?: CallAction
  ucid?: string
  conferenceNumber?: string
}

interface RecordingBody {
  ucid?: string
  action?: 'pause' | 'unPause'
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

/** Exactly the sidecar's Ozonetel endpoints. */
@Controller('api/ozonetel')
export class OzonetelController {
  constructor(private readonly ozonetel: OzonetelService) {}

  @Post('call-control')
  @HttpCode(200)
  callControl(@Body() body: CallControlBody = {}): Promise<CallControlResponse> {
    if (!nonEmpty(body.action) || !nonEmpty(body.ucid)) {
      throw new BadRequestException('action and ucid are required')
    }
    if (body.action === 'CONFERENCE' && !nonEmpty(body.conferenceNumber)) {
      throw new BadRequestException('CONFERENCE needs conferenceNumber')
    }
    return this.ozonetel.callControl({
      action: body.action,
      ucid: body.ucid,
      ...(nonEmpty(body.conferenceNumber) ? { conferenceNumber: body.conferenceNumber } : {}),
    })
  }

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
