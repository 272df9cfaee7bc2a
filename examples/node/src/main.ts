import { createApp } from './app'
import { configFromEnv } from './config'

async function main(): Promise<void> {
  const app = await createApp(configFromEnv())
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
