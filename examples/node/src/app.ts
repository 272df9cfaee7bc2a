import 'reflect-metadata'
import { INestApplication, LogLevel } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { WsAdapter } from '@nestjs/platform-ws'

import { AppModule } from './app.module'
import { HelixConfig } from './config'

/**
 * Hands Nest's ws adapter nothing to route: the assist gateway reads every frame itself and checks
 * it with `parseClientMessage` (assist.protocol.ts), so a bad frame is answered, not dropped.
 */
export function messageParser(): undefined {
  return undefined
}

/** The sidecar application, configured but not listening. */
export async function createApp(config: HelixConfig, logger: LogLevel[] | false = ['error', 'warn']): Promise<INestApplication> {
  // rawBody: the event webhooks parse Ozonetel's bytes themselves (JSON or form).
  const app = await NestFactory.create(AppModule.register(config), { logger, rawBody: true })
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser }))
  app.enableShutdownHooks()
  return app
}
