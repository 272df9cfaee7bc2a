import { DynamicModule, Module } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'

import { AssistGateway } from './assist.gateway'
import { HELIX_CONFIG, HelixConfig } from './config'
import { HelixErrorFilter } from './helix-error.filter'
import { OzonetelController } from './ozonetel.controller'
import { OzonetelService } from './ozonetel.service'

@Module({})
export class AppModule {
  static register(config: HelixConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [OzonetelController],
      providers: [
        { provide: HELIX_CONFIG, useValue: config },
        OzonetelService,
        AssistGateway,
        { provide: APP_FILTER, useClass: HelixErrorFilter },
      ],
    }
  }
}
