// The sidecar end to end: a real Nest app on 127.0.0.1, real HTTP and WebSocket clients, the
// helix-engage simulator behind it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { AddressInfo } from 'node:net'
import type { INestApplication } from '@nestjs/common'
import WebSocket from 'ws'

import { createApp } from '../src/app'
import { EventsService } from '../src/events.service'
import { startSim, Sim } from './simulator'

let sim: Sim
let app: INestApplication
let base: string

const WEBHOOK_KEY = 'e2e-webhook-key'
const AGENTS = {
  agent1: { phoneName: '523590', number: '9123456780', campaign: 'Outbound_918041763265', did: '918041763265' },
  agent2: { phoneName: '523591', number: '9123456781', campaign: 'Outbound_918041763265', did: '918041763265' },
}
const PASSWORDS = { agent1: 'sim-agent1-pass', agent2: 'sim-agent2-pass' }

before(async () => {
  sim = await startSim()
  await sim.call('POST', '/dial', { answer_after_ms: 30, customer: 'answer' })
  app = await createApp(
    {
      ozonetel: {
        userName: 'acme',
        apiKey: 'sim-api-key',
        baseUrl: sim.ozonetel,
        eventsBaseUrl: sim.ozonetel,
        timeoutMs: 1000,
        retry: { maxAttempts: 1 },
      },
      agents: AGENTS,
      webhookKey: WEBHOOK_KEY,
      assist: {
        deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram },
        suggestions: { apiKey: 'sim-openai-key', baseUrl: sim.openai, intervalMs: 1000, minGapMs: 200 },
      },
    },
    false,
  )
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address() as AddressInfo
  base = `http://127.0.0.1:${port}`
})

after(async () => {
  await app.close()
  await sim.stop()
})

interface Reply {
  status: number
  body: any
  headers: Headers
}

async function request(method: string, path: string, body?: unknown, session?: string, contentType = 'application/json'): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = contentType
  if (session) headers.authorization = `Bearer ${session}`
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
}

const post = (path: string, body: unknown, session?: string) => request('POST', path, body, session)
const get = (path: string, session?: string) => request('GET', path, undefined, session)

const seedCall = (body: object = {}) => sim.call('POST', '/calls', body) as Promise<{ ucid: string }>
const agentState = async (id: string) => (await sim.call('GET', `/agents/acme/${id}`)).state as { state: string; reason?: string }

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function login(agentId: keyof typeof PASSWORDS): Promise<string> {
  const res = await post('/agents/login', { agentId, password: PASSWORDS[agentId] })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.session
}

test('POST /agents/login: 400 without credentials, 401 for an unknown agent or a wrong password (the same answer)', async () => {
  assert.equal((await post('/agents/login', {})).status, 400)
  assert.equal((await post('/agents/login', { agentId: 'agent1' })).status, 400)
  const unknown = await post('/agents/login', { agentId: 'ghost', password: 'x' })
  const wrong = await post('/agents/login', { agentId: 'agent1', password: 'not-it-CANARY' })
  const proto = await post('/agents/login', { agentId: '__proto__', password: 'x' })
  for (const res of [unknown, wrong, proto]) {
    assert.equal(res.status, 401)
    assert.equal(res.body.message, 'unknown agent or wrong password')
    assert.ok(!JSON.stringify(res.body).includes('CANARY'))
  }
  assert.equal((await agentState('agent1')).state, 'logged_out')
})

test('every desk endpoint needs a session: 401 without one, with a malformed or an unknown bearer', async () => {
  const { ucid } = await seedCall()
  const endpoints: Array<[string, string, unknown]> = [
    ['POST', '/desk/state', { state: 'ready' }],
    ['POST', '/desk/dial', { customer: '9876500001' }],
    ['POST', '/desk/call-control', { action: 'HOLD', ucid }],
    ['POST', '/desk/transfer', { ucid, target: '9000000020' }],
    ['POST', '/desk/dispose', { ucid, disposition: 'General Enquiry' }],
    ['GET', '/desk/dispositions', undefined],
    ['GET', '/agents/me', undefined],
    ['POST', '/agents/logout', { password: 'x' }],
  ]
  const before = (await sim.call('GET', '/requests')).length
  for (const [method, path, body] of endpoints) {
    for (const auth of [undefined, 'Basic YWdlbnQxOng=', 'Bearer', 'Bearer not-a-session']) {
      const res = await fetch(base + path, {
        method,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      assert.equal(res.status, 401, `${method} ${path} with ${auth}`)
    }
  }
  assert.equal((await sim.call('GET', '/requests')).length, before, 'nothing reached Ozonetel')
  assert.equal((await sim.call('GET', `/calls/${ucid}`)).participants[0].on_hold, false)
})

test('the desk end to end: login → Ready → dial → hold → transfer → dispose → logout, with the dial\'s call events on the webhook', async () => {
  const events = app.get(EventsService)
  const subscribed = await events.subscribe(base, WEBHOOK_KEY)
  assert.equal(subscribed.changed, true)

  const session = await login('agent1')
  assert.deepEqual((await get('/agents/me', session)).body, { id: 'agent1', ...{ phoneName: '523590', campaign: AGENTS.agent1.campaign, did: '918041763265' } })
  assert.equal((await agentState('agent1')).state, 'ready')

  const paused = await post('/desk/state', { state: 'pause', reason: 'Break' }, session)
  assert.equal(paused.status, 200)
  assert.equal(paused.body.agentStatus, 'PAUSED')
  assert.deepEqual(await agentState('agent1'), { state: 'pause', reason: 'Break' })
  assert.equal((await post('/desk/state', { state: 'pause' }, session)).status, 400)
  assert.equal((await post('/desk/state', { state: 'asleep' }, session)).status, 400)
  const ready = await post('/desk/state', { state: 'ready' }, session)
  assert.equal(ready.body.agentStatus, 'READY')

  const dial = await post('/desk/dial', { customer: '+91 98765 00011' }, session)
  assert.equal(dial.status, 200, JSON.stringify(dial.body))
  const ucid: string = dial.body.ucid
  assert.match(ucid, /^\d+$/)
  const call = await sim.call('GET', `/calls/${ucid}`)
  assert.equal(call.agent_id, 'agent1')
  assert.equal(call.customer_number, '09876500011')
  // The webhook receives the dial's events (the simulator POSTs them to the sidecar's URL).
  await until('the answered event', () =>
    events.recent().some((e) => e.kind === 'call' && e.ucid === ucid && e.action === 'answered'),
  )

  const held = await post('/desk/call-control', { action: 'HOLD', ucid }, session)
  assert.equal(held.status, 200)
  assert.equal(held.body.action, 'HOLD')
  assert.equal((await sim.call('GET', `/calls/${ucid}`)).participants.find((p: any) => p.role === 'customer').on_hold, true)
  assert.equal((await post('/desk/call-control', { action: 'UNHOLD', ucid }, session)).status, 200)

  const transfer = await post('/desk/transfer', { ucid, target: '9000000021', mode: 'warm' }, session)
  assert.equal(transfer.status, 200, JSON.stringify(transfer.body))
  assert.equal(transfer.body.state, 'conferenced')
  assert.equal(transfer.body.target, '09000000021')
  assert.equal((await sim.call('GET', `/calls/${ucid}`)).participants.length, 3)
  const other = await login('agent2')
  assert.equal((await post(`/desk/transfers/${transfer.body.id}/complete`, {}, other)).status, 404, "another agent's session cannot finish it")
  const completed = await post(`/desk/transfers/${transfer.body.id}/complete`, {}, session)
  assert.equal(completed.status, 200)
  assert.equal(completed.body.state, 'completed')
  assert.equal((await sim.call('GET', `/calls/${ucid}`)).participants.some((p: any) => p.role === 'agent'), false)
  assert.equal((await post(`/desk/transfers/${transfer.body.id}/complete`, {}, session)).status, 404)

  const codes = await get('/desk/dispositions', session)
  assert.ok(codes.body.includes('Appointment Booked'))
  const disposed = await post('/desk/dispose', { ucid, disposition: 'Appointment Booked', comments: 'booked for Friday', autoRelease: true }, session)
  assert.equal(disposed.status, 200, JSON.stringify(disposed.body))
  assert.ok(['queued', 'saved'].includes(disposed.body.outcome), disposed.body.outcome)
  assert.equal((await post('/desk/dispose', { ucid, disposition: 'x', priority: 1 }, session)).status, 400)
  await sim.call('POST', `/calls/${ucid}/end`, {})
  await until('the disconnect event', () =>
    events.recent().some((e) => e.kind === 'call' && e.ucid === ucid && e.action === 'disconnect'),
  )
  const actions = events.recent().filter((e) => e.kind === 'call' && e.ucid === ucid).map((e) => e.action)
  assert.deepEqual(actions, ['calling', 'answered', 'disconnect'])
  await until('agent1 Ready or ACW after the call', async () => ['ready', 'acw'].includes((await agentState('agent1')).state))

  // The other session acts as agent2 only.
  assert.equal((await post('/desk/state', { state: 'pause', reason: 'Lunch' }, other)).status, 200)
  assert.deepEqual(await agentState('agent2'), { state: 'pause', reason: 'Lunch' })
  assert.notEqual((await agentState('agent1')).state, 'pause')

  assert.equal((await post('/agents/logout', {}, session)).status, 400)
  const out = await post('/agents/logout', { password: PASSWORDS.agent1 }, session)
  assert.equal(out.status, 200)
  assert.equal((await agentState('agent1')).state, 'logged_out')
  assert.equal((await post('/desk/state', { state: 'ready' }, session)).status, 401, 'the session ended with the logout')
  await post('/agents/logout', { password: PASSWORDS.agent2 }, other)
  const agentEvents = events.recent().filter((e) => e.kind === 'agent' && e.agentId === 'agent1').map((e) => e.action)
  assert.ok(agentEvents.includes('Login') && agentEvents.includes('Logout'), agentEvents.join(','))
})

test('the desk: a state Ozonetel refuses is a 409 with the refusal', async () => {
  const session = await login('agent1')
  const { ucid } = await seedCall({ agent_id: 'agent1' })
  await until('agent1 busy', async () => (await agentState('agent1')).state === 'busy')
  const refused = await post('/desk/state', { state: 'ready' }, session)
  assert.equal(refused.status, 409)
  assert.equal(refused.body.code, 'AGENT_STATE')
  assert.equal(refused.body.refusal, 'busy')
  await sim.call('POST', `/calls/${ucid}/end`, {})
  const forced = await post('/desk/state', { state: 'forceReady', password: PASSWORDS.agent1 }, session)
  assert.equal(forced.status, 200, JSON.stringify(forced.body))
  assert.equal(forced.body.ready.agentStatus, 'READY')
  await post('/agents/logout', { password: PASSWORDS.agent1 }, session)
})

test('desk call-control: 400 for bad bodies, upstream failures become HTTP statuses', async () => {
  const session = await login('agent1')
  for (const body of [{}, { ucid: '123' }, { action: 'HOLD' }, { action: 'HOLD', ucid: '' }, { action: 'CONFERENCE', ucid: '123' }]) {
    const res = await post('/desk/call-control', body, session)
    assert.equal(res.status, 400, JSON.stringify(body))
  }
  const unknown = await post('/desk/call-control', { action: 'TRANSFER', ucid: '123' }, session)
  assert.equal(unknown.status, 400)
  assert.equal(unknown.body.code, 'INVALID_INPUT')
  const notFound = await post('/desk/call-control', { action: 'HOLD', ucid: '99999999999' }, session)
  assert.equal(notFound.status, 422)
  assert.equal(notFound.body.code, 'API')
  const { ucid } = await seedCall()
  await sim.call('POST', '/faults', { endpoint: 'call_control', fault: { kind: 'status', status: 503 } })
  assert.equal((await post('/desk/call-control', { action: 'MUTE', ucid }, session)).status, 502)
  await sim.call('POST', '/faults', { endpoint: 'call_control', fault: { kind: 'stop_answering' } })
  const slow = await post('/desk/call-control', { action: 'UNMUTE', ucid }, session)
  assert.equal(slow.status, 504)
  assert.equal(slow.body.code, 'TIMEOUT')
  await post('/agents/logout', { password: PASSWORDS.agent1 }, session)
})

test('a session expires after sessionTtlMs: the desk answers 401 then', async () => {
  const short = await createApp(
    {
      ozonetel: { userName: 'acme', apiKey: 'sim-api-key', baseUrl: sim.ozonetel, timeoutMs: 1000 },
      agents: AGENTS,
      sessionTtlMs: 200,
      assist: { deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram } },
    },
    false,
  )
  await short.listen(0, '127.0.0.1')
  const shortBase = `http://127.0.0.1:${(short.getHttpServer().address() as AddressInfo).port}`
  try {
    const call = (path: string, body: unknown, session?: string) =>
      fetch(shortBase + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session}` } : {}) },
        body: JSON.stringify(body),
      })
    const login = (await (await call('/agents/login', { agentId: 'agent2', password: PASSWORDS.agent2 })).json()) as { session: string }
    assert.equal((await call('/desk/state', { state: 'ready' }, login.session)).status, 200)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal((await call('/desk/state', { state: 'ready' }, login.session)).status, 401)
    // The agent is still logged in at Ozonetel: log it out with a fresh session.
    const again = (await (await call('/agents/login', { agentId: 'agent2', password: PASSWORDS.agent2 })).json()) as { session: string }
    assert.equal((await call('/agents/logout', { password: PASSWORDS.agent2 }, again.session)).status, 200)
  } finally {
    await short.close()
  }
})

test('the event webhooks: JSON and form bodies, the key, the kind, garbage', async () => {
  const events = app.get(EventsService)
  const ucid = '90174967305497081' // above 2^53
  const form = new URLSearchParams({ eventType: 'Call', action: 'Calling', ucid, agent_id: 'agent2', event_time: '2025-09-10 15:00:00' }).toString()
  const json = `{"eventType":"Agent","agent_id":"agent2","action":"Ready","event_time":"2025-09-10 15:00:01"}`
  const key = `?key=${WEBHOOK_KEY}`
  assert.equal((await request('POST', `/ozonetel/events/call${key}`, form, undefined, 'application/x-www-form-urlencoded')).status, 200)
  const got = events.recent().at(-1)!
  assert.equal(got.kind, 'call')
  assert.equal(got.kind === 'call' && got.ucid, ucid)
  assert.equal((await request('POST', `/ozonetel/events/agent${key}`, json)).status, 200)
  assert.equal(events.recent().at(-1)!.kind, 'agent')
  assert.equal((await request('POST', '/ozonetel/events/call', form, undefined, 'application/x-www-form-urlencoded')).status, 403)
  assert.equal((await request('POST', '/ozonetel/events/call?key=wrong', form, undefined, 'application/x-www-form-urlencoded')).status, 403)
  assert.equal((await request('POST', `/ozonetel/events/call${key}`, json)).status, 400, 'an agent event on the call URL')
  assert.equal((await request('POST', `/ozonetel/events/other${key}`, json)).status, 400)
  const garbage = await request('POST', `/ozonetel/events/call${key}`, '{"nothing":"here"}')
  assert.equal(garbage.status, 400)
  assert.equal(garbage.body.code, 'INVALID_INPUT')
})

test('POST /api/ozonetel/recording pauses and resumes', async () => {
  const { ucid } = await seedCall()
  const paused = await post('/api/ozonetel/recording', { ucid, action: 'pause' })
  assert.equal(paused.status, 200)
  assert.equal(paused.body.paused, true)
  assert.equal((await sim.call('GET', `/calls/${ucid}`)).recording_paused, true)
  const resumed = await post('/api/ozonetel/recording', { ucid, action: 'unPause' })
  assert.equal(resumed.body.paused, false)
  assert.equal((await post('/api/ozonetel/recording', { ucid, action: 'stop' })).status, 400)
  assert.equal((await post('/api/ozonetel/recording', { action: 'pause' })).status, 400)
})

test('GET /api/ozonetel/missed-calls lists missed calls; a rate limit is a 429 with Retry-After', async () => {
  const { ucids } = await sim.call('POST', '/history', { answered: false, customer_number: '9877777777' })
  const missed = await get('/api/ozonetel/missed-calls')
  assert.equal(missed.status, 200)
  assert.ok(missed.body.some((c: { monitorUcid: string }) => c.monitorUcid === ucids[0]))
  await sim.call('POST', '/faults', { endpoint: 'abandon_calls', fault: { kind: 'rate_limited', retry_after_secs: 90 } })
  const limited = await get('/api/ozonetel/missed-calls')
  assert.equal(limited.status, 429)
  assert.equal(limited.headers.get('retry-after'), '90')
  await sim.call('POST', '/faults', { endpoint: 'abandon_calls', fault: { kind: 'html' } })
  assert.equal((await get('/api/ozonetel/missed-calls')).status, 502)
  assert.equal((await get('/api/ozonetel/missed-calls?fromTime=yesterday')).status, 400)
})

test('the live-assist gateway takes browser audio and pushes transcripts and suggestions', async () => {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/assist`)
  const messages: Array<{ event: string; data: any }> = []
  const waiters: Array<() => void> = []
  ws.on('message', (raw) => {
    messages.push(JSON.parse(String(raw)))
    waiters.splice(0).forEach((w) => w())
  })
  const until = async (pred: () => boolean, ms = 8000) => {
    const deadline = Date.now() + ms
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${messages.map((m) => m.event).join(',')}`)
      await new Promise<void>((r) => {
        waiters.push(r)
        setTimeout(r, 50)
      })
    }
  }
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))

  ws.send(Buffer.alloc(1280)) // audio before start is refused (more in assist.e2e.test.ts)
  await until(() => messages.some((m) => m.event === 'error'))
  assert.equal(messages[0].data.code, 'NOT_STARTED')

  ws.send(JSON.stringify({ event: 'start', data: { lead: { name: 'Asha Rao' } } }))
  await until(() => messages.some((m) => m.event === 'started'))
  const frame = Buffer.alloc(1280) // 20 ms of 16 kHz stereo linear16
  for (let i = 0; i < 500; i++) ws.send(frame) // 10 s
  await until(() => messages.some((m) => m.event === 'suggestion'))
  ws.send(JSON.stringify({ event: 'stop' }))
  await until(() => messages.some((m) => m.event === 'summary'))
  ws.close()

  const finals = messages.filter((m) => m.event === 'transcript' && m.data.isFinal)
  assert.ok(finals.length >= 3, `finals: ${JSON.stringify(finals.map((m) => m.data.segment.text))} ${JSON.stringify(messages.find((m) => m.event === "summary")?.data.metrics)}`)
  assert.ok(finals.some((m) => m.data.segment.speaker === 'customer'))
  const suggestion = messages.find((m) => m.event === 'suggestion')!
  assert.ok(suggestion.data.items.length > 0)
  const events = messages.map((m) => m.event)
  assert.ok(events.indexOf('closed') < events.indexOf('summary'))
  const summary = messages.find((m) => m.event === 'summary')!.data
  assert.equal(summary.error, null)
  assert.ok(summary.transcript.segments.length >= 3)
})

test('the gateway reports a refused start as an error message', async () => {
  // A Deepgram refusal surfaces on the socket, not as a crash.
  await sim.call('POST', '/faults', { endpoint: 'deepgram_listen', fault: { kind: 'refuse_handshake', status: 401 } })
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/assist`)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const reply = new Promise<{ event: string; data: any }>((resolve) => ws.once('message', (raw) => resolve(JSON.parse(String(raw)))))
  ws.send(JSON.stringify({ event: 'start', data: {} }))
  const message = await reply
  ws.close()
  assert.equal(message.event, 'error')
  assert.equal(message.data.code, 'AUTH')
})
