// The sidecar registers its agents with the event dispatcher: real Redis (HELIX_TEST_REDIS_URL,
// started by scripts/test.sh), a real Nest app, and the real `helix events dispatch` in front.
import assert from 'node:assert/strict'
import { ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import type { INestApplication } from '@nestjs/common'
import { SidecarRegistry } from '@helix-engage/native'

import { createApp } from '../src/app'
import { EventsService } from '../src/events.service'
import { startSim, Sim, targetBinary } from './simulator'

const redisUrl = process.env.HELIX_TEST_REDIS_URL
if (!redisUrl && process.env.CI) throw new Error('HELIX_TEST_REDIS_URL is not set: run scripts/test.sh')
const skip = redisUrl ? false : 'no Redis (HELIX_TEST_REDIS_URL); scripts/test.sh starts one'

const PREFIX = `helix-nest-routing:${process.pid}:${Date.now()}:`
const WEBHOOK_KEY = 'e2e-routing-key'
const SIDECAR_ID = 'whitefield-1'
const AGENTS = {
  agent1: { phoneName: '523590', number: '9123456780', campaign: 'Outbound_918041763265', did: '918041763265' },
  agent2: { phoneName: '523591', number: '9123456781', campaign: 'Outbound_918041763265', did: '918041763265' },
}

let sim: Sim
let app: INestApplication
let registry: SidecarRegistry
let base: string
let dispatcher: { child: ChildProcess; url: string } | undefined
let closed = false

function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => done(port))
    })
  })
}

/** `helix --json events dispatch --port 0` on the test's prefix; resolves once it listens. */
async function startDispatcher(): Promise<{ child: ChildProcess; url: string }> {
  const helix = targetBinary('helix', process.env.HELIX_BIN)
  const args = ['--json', 'events', 'dispatch', '--port', '0', '--redis', redisUrl!, '--redis-prefix', PREFIX, '--account', 'acme']
  args.push('--retry-base-ms', '50', '--retry-max-ms', '200', '--summary-every', '0', '--drain', '1')
  // No profile or OZONETEL_* of the developer's: the flags say everything.
  const child = spawn(helix, args, { env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent-helix-home' }, stdio: ['ignore', 'pipe', 'inherit'] })
  const first = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('helix events dispatch did not start in 10 s')), 10_000)
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer)
      done(line)
    })
    child.once('exit', (code) => fail(new Error(`helix events dispatch exited with ${code}`)))
  })
  return { child, url: JSON.parse(first).listening }
}

before(async () => {
  if (skip) return
  sim = await startSim()
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  app = await createApp(
    {
      ozonetel: { userName: 'acme', apiKey: 'sim-api-key', baseUrl: sim.ozonetel, eventsBaseUrl: sim.ozonetel },
      agents: AGENTS,
      webhookKey: WEBHOOK_KEY,
      assist: { deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram }, suggestions: null },
      // The shortest TTL: heartbeats every ~333 ms must keep it alive.
      routing: { redisUrl: redisUrl!, prefix: PREFIX, sidecarUrl: base, sidecarId: SIDECAR_ID, ttlSecs: 1 },
    },
    false,
  )
  await app.listen(port, '127.0.0.1')
  registry = await SidecarRegistry.connect('acme', redisUrl!, { prefix: PREFIX })
})

after(async () => {
  if (dispatcher && dispatcher.child.exitCode === null) {
    const exited = new Promise((done) => dispatcher!.child.once('exit', done))
    dispatcher.child.kill('SIGTERM')
    await exited
  }
  if (!closed) await app?.close()
  await sim?.stop()
})

test('at start the registry lists the sidecar with its agents and its event URL; heartbeats keep it', { skip }, async () => {
  const url = `${base}/ozonetel/events?key=${WEBHOOK_KEY}`
  const [entry, ...rest] = await registry.sidecars()
  assert.deepEqual(rest, [])
  assert.equal(entry.sidecarId, SIDECAR_ID)
  assert.equal(entry.url, url)
  assert.deepEqual(entry.agentIds, ['agent1', 'agent2'])
  assert.ok(entry.expiresInMs <= 1000)
  // Past the 1 s TTL: only the heartbeats can have kept it.
  await sleep(1600)
  assert.deepEqual(await registry.lookup('agent2'), { sidecarId: SIDECAR_ID, url })
})

test('the one registered URL takes call and agent events; a wrong key is refused', { skip }, async () => {
  const call = { eventType: 'Call', username: 'acme', action: 'Answered', call_type: 'InBound', ucid: '8712345678901234567', agent_id: 'agent1' }
  const res = await fetch(`${base}/ozonetel/events?key=${WEBHOOK_KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) })
  assert.equal(res.status, 200)
  const form = new URLSearchParams({ eventType: 'Agent', username: 'acme', agent_id: 'agent2', action: 'Ready', agent_state: 'Ready' })
  const agent = await fetch(`${base}/ozonetel/events?key=${WEBHOOK_KEY}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })
  assert.equal(agent.status, 200)
  const events = app.get(EventsService).recent()
  assert.ok(events.some((e) => e.kind === 'call' && e.ucid === '8712345678901234567'))
  assert.ok(events.some((e) => e.kind === 'agent' && e.agentId === 'agent2'))
  const wrong = await fetch(`${base}/ozonetel/events?key=nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) })
  assert.equal(wrong.status, 403)
})

test('helix events dispatch forwards the account\'s events for its agents to this sidecar', { skip }, async () => {
  dispatcher = await startDispatcher()
  const events = app.get(EventsService)
  const ucid = '8712345678901239999'
  const call = { eventType: 'Call', username: 'acme', action: 'Disconnect', call_type: 'InBound', ucid, agent_id: 'agent1' }
  const r1 = await fetch(`${dispatcher.url}/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) })
  assert.equal(r1.status, 200)
  const form = new URLSearchParams({ eventType: 'Agent', username: 'acme', agent_id: 'agent2', action: 'Pause', agent_state: 'Pause' })
  const r2 = await fetch(`${dispatcher.url}/agent`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })
  assert.equal(r2.status, 200)
  const arrived = () =>
    events.recent().some((e) => e.kind === 'call' && e.ucid === ucid) &&
    events.recent().some((e) => e.kind === 'agent' && e.agentId === 'agent2' && e.action === 'Pause')
  for (let i = 0; i < 100 && !arrived(); i++) await sleep(50)
  assert.ok(arrived(), 'both events were forwarded to the sidecar')
})

test('after the app closes its registration is gone', { skip }, async () => {
  closed = true
  await app.close()
  assert.deepEqual(await registry.sidecars(), [])
  assert.equal(await registry.lookup('agent1'), null)
})
