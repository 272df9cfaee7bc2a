// The sidecar end to end: a real Nest app on 127.0.0.1, real HTTP and WebSocket clients, the
// helix-engage simulator behind it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { AddressInfo } from 'node:net'
import type { INestApplication } from '@nestjs/common'
import WebSocket from 'ws'

import { createApp } from '../src/app'
import { startSim, Sim } from './simulator'

let sim: Sim
let app: INestApplication
let base: string

before(async () => {
  sim = await startSim()
  app = await createApp(
    {
      ozonetel: {
        userName: 'acme',
        apiKey: 'sim-api-key',
        baseUrl: sim.ozonetel,
        did: '918041763265',
        agentPhoneName: 'agent1',
        agentNumber: '9123456780',
        timeoutMs: 1000,
        retry: { maxAttempts: 1 },
      },
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

async function post(path: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json(), headers: res.headers }
}

async function get(path: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(base + path)
  return { status: res.status, body: await res.json(), headers: res.headers }
}

const seedCall = (body: object = {}) => sim.call('POST', '/calls', body) as Promise<{ ucid: string }>

test('POST /api/ozonetel/call-control applies actions', async () => {
  const { ucid } = await seedCall()
  const held = await post('/api/ozonetel/call-control', { action: 'HOLD', ucid })
  assert.equal(held.status, 200)
  assert.equal(held.body.action, 'HOLD')
  assert.equal(held.body.ucid, ucid)
  const conf = await post('/api/ozonetel/call-control', { action: 'CONFERENCE', ucid, conferenceNumber: '9000000010' })
  assert.equal(conf.status, 200)
  const call = await sim.call('GET', `/calls/${ucid}`)
  assert.equal(call.participants.length, 3)
})

test('call-control: 400 for a missing action or ucid, CONFERENCE without a number, an unknown action', async () => {
  for (const body of [{}, { ucid: '123' }, { action: 'HOLD' }, { action: 'HOLD', ucid: '' }, { action: 'CONFERENCE', ucid: '123' }]) {
    const res = await post('/api/ozonetel/call-control', body)
    assert.equal(res.status, 400, JSON.stringify(body))
  }
  const unknown = await post('/api/ozonetel/call-control', { action: 'TRANSFER', ucid: '123' })
  assert.equal(unknown.status, 400)
  assert.equal(unknown.body.code, 'INVALID_INPUT')
})

test('call-control: upstream failures become HTTP statuses, not 200s', async () => {
  const notFound = await post('/api/ozonetel/call-control', { action: 'HOLD', ucid: '99999999999' })
  assert.equal(notFound.status, 422)
  assert.equal(notFound.body.code, 'API')
  const { ucid } = await seedCall()
  await sim.call('POST', '/faults', { endpoint: 'call_control', fault: { kind: 'status', status: 503 } })
  const down = await post('/api/ozonetel/call-control', { action: 'MUTE', ucid })
  assert.equal(down.status, 502)
  await sim.call('POST', '/faults', { endpoint: 'call_control', fault: { kind: 'stop_answering' } })
  const slow = await post('/api/ozonetel/call-control', { action: 'UNMUTE', ucid })
  assert.equal(slow.status, 504)
  assert.equal(slow.body.code, 'TIMEOUT')
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

  ws.send(JSON.stringify({ event: 'audio', data: null })) // audio before start is refused
  await until(() => messages.some((m) => m.event === 'error'))
  assert.equal(messages[0].data.code, 'CLOSED')

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
