import { DynamicModule, Module } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'

import { AgentAuthGuard } from './agent-auth.guard'
import { AgentSessions } from './agent-sessions.service'
import { AssistRegistry } from './assist-registry.service'
import { AssistGateway } from './assist.gateway'
import { HELIX_CONFIG, HelixConfig } from './config'
import { AgentsController, DeskController } from './desk.controller'
import { EventsController } from './events.controller'
import { EventsService } from './events.service'
import { HelixErrorFilter } from './helix-error.filter'
import { OzonetelController } from './ozonetel.controller'
import { OzonetelService } from './ozonetel.service'
import { SidecarRegistration } from './sidecar-registration.service'

@Module({})
export class AppModule {
  static register(config: HelixConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [OzonetelController, AgentsController, DeskController, EventsController],
      providers: [
        { provide: HELIX_CONFIG, useValue: config },
        OzonetelService,
        AgentSessions,
        AgentAuthGuard,
        EventsService,
        AssistRegistry,
        AssistGateway,
        SidecarRegistration,
        { provide: APP_FILTER, useClass: HelixErrorFilter },
      ],
    }
  }
}
