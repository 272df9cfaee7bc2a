import 'reflect-metadata'
import { INestApplication, LogLevel } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { WsAdapter } from '@nestjs/platform-ws'

import { AppModule } from './app.module'
import { HelixConfig } from './config'

/** Text frames are `{event, data}` JSON; binary frames are audio for the `audio` handler. */
export function messageParser(data: unknown): { event: string; data: unknown } {
  if (typeof data === 'string') return JSON.parse(data)
  return { event: 'audio', data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer) }
}

/** The sidecar application, configured but not listening. */
export async function createApp(config: HelixConfig, logger: LogLevel[] | false = ['error', 'warn']): Promise<INestApplication> {
  // rawBody: the event webhooks parse Ozonetel's bytes themselves (JSON or form).
  const app = await NestFactory.create(AppModule.register(config), { logger, rawBody: true })
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser }))
  app.enableShutdownHooks()
  return app
}
