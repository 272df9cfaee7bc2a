import { ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

/** The helix-engage simulator binary (built by scripts/test.sh), on 127.0.0.1. */
export interface Sim {
  ozonetel: string
  deepgram: string
  openai: string
  control: string
  call(method: string, path: string, body?: unknown): Promise<any>
  stop(): Promise<void>
}

/** A binary of the workspace (`helix-engage-sim`, `helix`), as scripts/test.sh builds it; `override` (an env value) wins. */
export function targetBinary(name: string, override: string | undefined): string {
  if (override) return override
  // dist/test → examples/node → repo
  const repo = resolve(__dirname, '..', '..', '..', '..')
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target')
  const found = ['debug', 'release'].map((p) => join(target, p, name)).find(existsSync)
  if (!found) throw new Error(`${name} not built under ${target}`)
  return found
}

const binary = () => targetBinary('helix-engage-sim', process.env.HELIX_SIM_BIN)

export async function startSim(): Promise<Sim> {
  const child: ChildProcess = spawn(binary(), ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const urls: Record<string, string> = {}
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('simulator did not start')), 10_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [name, url] = line.trim().split(/\s+/)
      if (name && url) urls[name] = url
      if (urls.ozonetel && urls.deepgram && urls.openai && urls.control) {
        clearTimeout(timer)
        done()
      }
    })
  })
  return {
    ozonetel: urls.ozonetel,
    deepgram: urls.deepgram,
    openai: urls.openai,
    control: urls.control,
    async call(method, path, body) {
      const res = await fetch(urls.control + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      if (!res.ok) throw new Error(`sim ${method} ${path}: ${res.status} ${await res.text()}`)
      return res.json()
    },
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}
