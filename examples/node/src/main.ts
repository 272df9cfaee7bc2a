import { createApp } from './app'
import { configFromEnv } from './config'
import { EventsService } from './events.service'

async function main(): Promise<void> {
  const config = configFromEnv()
  const app = await createApp(config)
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1')
  // Where Ozonetel can reach this sidecar: subscribe the account's call and agent events to it.
  if (process.env.HELIX_PUBLIC_URL) {
    await app.get(EventsService).subscribe(process.env.HELIX_PUBLIC_URL, config.webhookKey)
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
