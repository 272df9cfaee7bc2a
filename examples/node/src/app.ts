import 'reflect-metadata'
import { INestApplication, LogLevel } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { NestExpressApplication } from '@nestjs/platform-express'
import { WsAdapter } from '@nestjs/platform-ws'
import { resolve } from 'node:path'

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
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { logger, rawBody: true })
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser }))
  serveAssistDemo(app)
  app.enableShutdownHooks()
  return app
}

/** dist/src → examples/node; the demo's files are not compiled, so they sit beside src. */
const EXAMPLE_DIR = resolve(__dirname, '..', '..')

/**
 * The live-assist demo call at `/assist-demo/` (public/assist-demo) and the browser library it
 * loads, `bindings/browser/dist`, at `/assist-demo/lib/`. Served over http, not opened as files:
 * a page from file:// cannot load the capture's AudioWorklet module.
 */
function serveAssistDemo(app: NestExpressApplication): void {
  app.useStaticAssets(resolve(EXAMPLE_DIR, '..', '..', 'bindings', 'browser', 'dist'), { prefix: '/assist-demo/lib/' })
  app.useStaticAssets(resolve(EXAMPLE_DIR, 'public', 'assist-demo'), { prefix: '/assist-demo/' })
}
