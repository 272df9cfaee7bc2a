// Issue 13 through the sidecar: pausing a call's recording makes its live-assist session private
// (a canary said in the window reaches no browser message and no OpenAI request), resuming
// brings words back, the fail-safe rules when Ozonetel fails, the agent's own `private` toggle,
// and the post-call summary as the disposition draft the agent then sends.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { AddressInfo } from 'node:net'
import type { INestApplication } from '@nestjs/common'

import { createApp } from '../src/app'
import { connectAssist } from './assist-client'
import { startSim, Sim } from './simulator'

let sim: Sim
let app: INestApplication
let base: string
let wsUrl: string

const SCRIPT = 'privacy-e2e'
const CANARY = 'CANARY policy 4471 2290 3316'
const leaks = (text: string) => /canary|4471|2290|3316/i.test(text)

// The recording is paused from call second 3 to 8; the canary is said at 4–7, inside it.
const CALL = {
  turns: [
    { channel: 0, speaker: 'agent', text: 'Hello, Helix Hospital, how can I help you today?', start: 0.5, end: 2.5 },
    { channel: 1, speaker: 'customer', text: `My number is ${CANARY}.`, start: 4.0, end: 7.0 },
    { channel: 1, speaker: 'customer', text: 'I need an appointment booked with Dr. Mehta please.', start: 9.0, end: 11.5 },
    { channel: 0, speaker: 'agent', text: 'Sure, your appointment is booked for Friday.', start: 12.0, end: 14.0 },
  ],
}

before(async () => {
  sim = await startSim()
  await sim.call('PUT', `/deepgram/scripts/${SCRIPT}`, CALL)
  app = await createApp(
    {
      ozonetel: { userName: 'acme', apiKey: 'sim-api-key', baseUrl: sim.ozonetel, timeoutMs: 1000, retry: { maxAttempts: 1 } },
      agents: { agent1: { phoneName: '523590', number: '9123456780', campaign: 'Outbound_918041763265', did: '918041763265' } },
      assist: {
        // sim_timecode: the audio carries its place in the call, so the simulator plays the words
        // really in it and records the gap a private stretch leaves.
        deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram, extraParams: { sim_timecode: 'true', sim_script: SCRIPT } },
        redaction: { enabled: true },
        suggestions: { apiKey: 'sim-openai-key', baseUrl: sim.openai, intervalMs: 1000, minGapMs: 100, postCall: {} },
        timing: { keepaliveAfterMs: 300, stopWaitMs: 3000 },
      },
    },
    false,
  )
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address() as AddressInfo
  base = `http://127.0.0.1:${port}`
  wsUrl = `ws://127.0.0.1:${port}/api/assist`
})

after(async () => {
  await app.close()
  await sim.stop()
})

async function request(method: string, path: string, body?: unknown, session?: string) {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (session) headers.authorization = `Bearer ${session}`
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

const RATE = 16000
const FRAME_BYTES = 1280 // 20 ms of 16 kHz stereo linear16

/** Call seconds from..to of stereo linear16 whose sample frames carry their index (`sim_timecode`). */
function timecoded(from: number, to: number): Buffer {
  const a = Math.round(from * RATE)
  const b = Math.round(to * RATE)
  const out = Buffer.alloc((b - a) * 4)
  for (let i = a; i < b; i++) {
    out.writeUInt16LE(i & 0xffff, (i - a) * 4)
    out.writeUInt16LE(i >>> 16, (i - a) * 4 + 2)
  }
  return out
}

type Conn = Awaited<ReturnType<typeof connectAssist>>

/**
 * Sends call seconds from..to in 20 ms frames, then waits until the gateway has handled them:
 * it handles a socket's frames in order, so the answer to a frame it refuses (an unknown event)
 * comes after every frame before it has reached the session.
 */
async function stream(conn: Conn, from: number, to: number): Promise<void> {
  const audio = timecoded(from, to)
  for (let off = 0; off < audio.length; off += FRAME_BYTES) conn.ws.send(audio.subarray(off, off + FRAME_BYTES), { binary: true })
  conn.ws.send(JSON.stringify({ event: 'sync' }))
  assert.equal((await conn.next('error')).data.code, 'UNKNOWN_TYPE')
}

async function startCall(ucid: string): Promise<Conn> {
  const conn = await connectAssist(wsUrl)
  conn.ws.send(JSON.stringify({ event: 'start', data: { ucid, audio: { encoding: 'linear16', sampleRate: RATE, channels: 2 } } }))
  await conn.next('started')
  return conn
}

async function login(): Promise<string> {
  const res = await request('POST', '/agents/login', { agentId: 'agent1', password: 'sim-agent1-pass' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.session
}

test('pausing the recording makes the call private: a private event, a marker, no canary anywhere; resuming brings words back; the draft pre-fills the disposition', async () => {
  const session = await login()
  const { ucid } = await sim.call('POST', '/calls', { agent_id: 'agent1' })
  const conn = await startCall(ucid)
  await stream(conn, 0, 3)

  const paused = await request('POST', '/api/ozonetel/recording', { ucid, action: 'pause' })
  assert.equal(paused.status, 200, JSON.stringify(paused.body))
  assert.equal((await sim.call('GET', `/calls/${ucid}`)).recording_paused, true)
  const on = await conn.next('private')
  assert.equal(on.data.private, true)
  assert.ok(Math.abs(on.data.at - 3) < 0.05, JSON.stringify(on.data))
  await stream(conn, 3, 8)
  // Longer than keepaliveAfterMs: the socket to Deepgram is kept by KeepAlive, not audio.
  await new Promise((r) => setTimeout(r, 500))

  const resumed = await request('POST', '/api/ozonetel/recording', { ucid, action: 'unPause' })
  assert.equal(resumed.status, 200)
  assert.equal(resumed.body.paused, false)
  const off = await conn.next('private')
  assert.equal(off.data.private, false)
  assert.ok(Math.abs(off.data.at - 8) < 0.05, JSON.stringify(off.data))
  await stream(conn, 8, 16)
  conn.ws.send(JSON.stringify({ event: 'stop' }))
  const summary = (await conn.next('summary', 15_000)).data
  conn.ws.close()

  assert.equal(summary.error, null)
  const markers = summary.transcript.segments.filter((s: any) => s.kind === 'private')
  assert.equal(markers.length, 1)
  assert.equal(markers[0].text, '[private]')
  assert.ok(Math.abs(markers[0].start - 3) < 0.05 && Math.abs(markers[0].end - 8) < 0.05, JSON.stringify(markers[0]))
  const texts: string[] = summary.transcript.segments.map((s: any) => s.text)
  assert.ok(texts.some((t) => t.includes('appointment booked with Dr. Mehta')), texts.join(' | '))
  assert.ok(texts.some((t) => t.includes('how can I help')), texts.join(' | '))
  assert.ok(summary.postCall, `a post-call summary: ${JSON.stringify(summary.postCallError)}`)

  // The canary reached no browser message (the transcript, suggestions, the summary) …
  assert.ok(conn.messages.some((m) => m.event === 'transcript'), 'the browser got the transcript')
  for (const m of conn.messages) assert.ok(!leaks(JSON.stringify(m)), JSON.stringify(m))
  // … and no request to the LLM, although the call was sent there (suggestions, the summary).
  const requests: unknown[] = await sim.call('GET', '/openai/requests')
  assert.ok(requests.some((r) => JSON.stringify(r).includes('appointment booked')), 'the LLM got the call')
  assert.ok(requests.some((r) => JSON.stringify(r).includes('call_summary')), 'the post-call request was made')
  for (const r of requests) assert.ok(!leaks(JSON.stringify(r)), JSON.stringify(r))
  // Deepgram never got the window's audio: the simulator saw the jump from 3 s to 8 s.
  const sessions: any[] = await sim.call('GET', '/deepgram/sessions')
  const gaps = sessions.flatMap((s) => s.timecode_gaps)
  assert.ok(gaps.some(([from, to]: number[]) => Math.abs(from - 3) < 0.05 && Math.abs(to - 8) < 0.05), JSON.stringify(gaps))

  // The disposition draft: the summary's suggestion, one of the account's own dispositions.
  assert.equal((await request('GET', `/desk/calls/${ucid}/disposition-draft`)).status, 401, 'behind the agent session')
  assert.equal((await request('GET', '/desk/calls/99999999/disposition-draft', undefined, session)).status, 404)
  const draft = await request('GET', `/desk/calls/${ucid}/disposition-draft`, undefined, session)
  assert.equal(draft.status, 200, JSON.stringify(draft.body))
  const accountList = (await request('GET', '/desk/dispositions', undefined, session)).body
  assert.deepEqual(draft.body.dispositions, accountList)
  assert.equal(draft.body.ucid, ucid)
  assert.equal(draft.body.suggestedDisposition, summary.postCall.suggestedDisposition)
  assert.ok(accountList.includes(draft.body.suggestedDisposition), draft.body.suggestedDisposition)
  assert.equal(draft.body.suggestedDisposition, 'Appointment Booked')
  assert.equal(draft.body.summary, summary.postCall.summary)
  assert.deepEqual(draft.body.followUps, summary.postCall.followUps)
  assert.equal(typeof draft.body.confidence, 'number')
  assert.ok(!leaks(JSON.stringify(draft.body)))
  // Nothing was set at Ozonetel by the draft: only the agent's dispose does that.
  // (The disposition API's `get` — the list — is all the sidecar sent it so far.)
  const sets = async () =>
    ((await sim.call('GET', '/requests')) as any[]).filter((r) => r.path === '/ca_apis/DispositionAPIV2' && /"action"\s*:\s*"set"/i.test(r.body))
  assert.equal((await sets()).length, 0, 'no disposition before the agent sends it')
  const disposed = await request('POST', '/desk/dispose', { ucid, disposition: draft.body.suggestedDisposition }, session)
  assert.equal(disposed.status, 200, JSON.stringify(disposed.body))
  assert.ok(['queued', 'saved'].includes(disposed.body.outcome), disposed.body.outcome)
  const set = await sets()
  assert.equal(set.length, 1)
  assert.ok(set[0].body.includes('Appointment Booked'), set[0].body)
  await sim.call('POST', `/calls/${ucid}/end`, {})
})

test('fail safe: a failed pause still makes the call private, a failed resume leaves it private; the private toggle and a session started mid-pause', async () => {
  const { ucid } = await sim.call('POST', '/calls', {})
  const conn = await startCall(ucid)
  await stream(conn, 0, 1)

  await sim.call('POST', '/faults', { endpoint: 'record', fault: { kind: 'status', status: 502 }, times: 'once' })
  const pause = await request('POST', '/api/ozonetel/recording', { ucid, action: 'pause' })
  assert.notEqual(pause.status, 200, 'Ozonetel refused the pause')
  assert.equal((await conn.next('private')).data.private, true, 'private although the pause failed')

  await sim.call('POST', '/faults', { endpoint: 'record', fault: { kind: 'status', status: 502 }, times: 'once' })
  const resume = await request('POST', '/api/ozonetel/recording', { ucid, action: 'unPause' })
  assert.notEqual(resume.status, 200, 'Ozonetel refused the resume')
  await stream(conn, 1, 2)
  assert.equal(conn.messages.filter((m) => m.event === 'private').length, 1, 'still private after a failed resume')

  // A second socket for the same call is refused while the first runs.
  const other = await connectAssist(wsUrl)
  other.ws.send(JSON.stringify({ event: 'start', data: { ucid } }))
  assert.equal((await other.next('error')).data.code, 'CALL_IN_USE')

  // The agent's own toggle ends the stretch on this session.
  conn.ws.send(JSON.stringify({ event: 'private', data: { on: false } }))
  assert.equal((await conn.next('private')).data.private, false)
  conn.ws.send(JSON.stringify({ event: 'private', data: { on: 'yes' } }))
  assert.equal((await conn.next('error')).data.code, 'BAD_MESSAGE')
  conn.ws.send(JSON.stringify({ event: 'stop' }))
  await conn.next('summary')
  conn.ws.close()

  // The recording is still paused as far as the sidecar knows (the resume failed): a new
  // session for the call (a reconnect) starts private.
  const again = await startCall(ucid)
  assert.equal((await again.next('private')).data.private, true)
  const ok = await request('POST', '/api/ozonetel/recording', { ucid, action: 'unPause' })
  assert.equal(ok.status, 200)
  assert.equal((await again.next('private')).data.private, false)
  again.ws.send(JSON.stringify({ event: 'stop' }))
  await again.next('summary')
  again.ws.close()
  other.ws.close()
})

test('start: a bad ucid is BAD_MESSAGE; private before start is NOT_STARTED', async () => {
  const conn = await connectAssist(wsUrl)
  for (const ucid of ['', 5, 'a b', 'x'.repeat(65), '../etc']) {
    conn.ws.send(JSON.stringify({ event: 'start', data: { ucid } }))
    const error = await conn.next('error')
    assert.equal(error.data.code, 'BAD_MESSAGE', JSON.stringify(ucid))
    assert.match(error.data.message, /ucid/)
  }
  conn.ws.send(JSON.stringify({ event: 'private', data: { on: true } }))
  assert.equal((await conn.next('error')).data.code, 'NOT_STARTED')
  conn.ws.close()
})
