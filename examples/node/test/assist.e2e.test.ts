// The assist gateway's protocol (docs/assist-gateway.md) end to end: every bad frame is answered
// with an `error` of a stable code, and the socket and its session go on working after it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { AddressInfo } from 'node:net'
import type { INestApplication } from '@nestjs/common'
import WebSocket from 'ws'

import { createApp } from '../src/app'
import { MAX_FRAME_BYTES } from '../src/assist.protocol'
import { connectAssist } from './assist-client'
import { startSim, Sim } from './simulator'

let sim: Sim
let app: INestApplication
let url: string

before(async () => {
  sim = await startSim()
  app = await createApp(
    {
      ozonetel: { userName: 'acme', apiKey: 'sim-api-key', baseUrl: sim.ozonetel, timeoutMs: 1000 },
      agents: {},
      assist: { deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram } },
    },
    false,
  )
  await app.listen(0, '127.0.0.1')
  url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/api/assist`
})

after(async () => {
  await app.close()
  await sim.stop()
})

const connect = () => connectAssist(url)

const frame = (bytes = 640) => Buffer.alloc(bytes) // 640 bytes: 20 ms of 16 kHz mono linear16

type Case = [what: string, data: WebSocket.Data, binary: boolean, code: string]

/** Sends each bad frame; each must get exactly its error code with the socket left open. */
async function expectErrors(conn: Awaited<ReturnType<typeof connect>>, cases: Case[], afterEach = () => {}) {
  for (const [what, data, binary, code] of cases) {
    conn.ws.send(data, { binary })
    const error = await conn.next('error')
    assert.equal(error.data.code, code, `${what}: ${JSON.stringify(error.data)}`)
    assert.equal(typeof error.data.message, 'string')
    assert.ok(!conn.isClosed(), `${what} closed the socket`)
    afterEach()
  }
}

test('bad frames before start: each gets its error code and the socket stays open', async () => {
  const conn = await connect()
  const { ws, next } = conn
  const cases: Case[] = [
    ['bad JSON', '{"event": "start"', false, 'BAD_JSON'],
    ['binary audio before start', frame(1280), true, 'NOT_STARTED'],
    ['a JSON array', '[1, 2]', false, 'BAD_MESSAGE'],
    ['no event name', '{"data": {}}', false, 'BAD_MESSAGE'],
    ['an unknown type', '{"event": "dance", "data": {}}', false, 'UNKNOWN_TYPE'],
    ['audio as a text event', '{"event": "audio", "data": null}', false, 'UNKNOWN_TYPE'],
    ['an oversize text frame', JSON.stringify({ event: 'lead', data: { lead: { notes: 'x'.repeat(MAX_FRAME_BYTES) } } }), false, 'FRAME_TOO_LARGE'],
    ['hold before start', '{"event": "hold", "data": {"on": true}}', false, 'NOT_STARTED'],
    ['stop before start', '{"event": "stop"}', false, 'NOT_STARTED'],
    ['start with a bad audio format', '{"event": "start", "data": {"audio": {"encoding": "opus"}}}', false, 'BAD_MESSAGE'],
    ['start with fractional channels', '{"event": "start", "data": {"audio": {"encoding": "linear16", "channels": 1.5}}}', false, 'BAD_MESSAGE'],
  ]
  await expectErrors(conn, cases)
  // The same socket still opens a session.
  ws.send(JSON.stringify({ event: 'start', data: { audio: { encoding: 'linear16', sampleRate: 16000, channels: 1 } } }))
  await next('started')
  ws.send(JSON.stringify({ event: 'stop' }))
  assert.equal((await next('summary')).data.error, null)
  ws.close()
})

test('bad frames during a session: each gets its error code, valid frames after it are taken, stop returns a summary', async () => {
  const conn = await connect()
  const { ws, next, messages } = conn
  // Stereo: a frame must hold whole 4-byte sample frames (2 bytes × 2 channels).
  ws.send(JSON.stringify({ event: 'start', data: { lead: { name: 'Asha Rao' }, audio: { encoding: 'linear16', channels: 2 } } }))
  await next('started')
  const good = frame(1280) // 20 ms of 16 kHz stereo
  const cases: Case[] = [
    ['a second start', '{"event": "start", "data": {}}', false, 'ALREADY_STARTED'],
    ['an odd byte count', frame(1279), true, 'ODD_FRAME'],
    ['whole samples but half a stereo frame', frame(1282), true, 'ODD_FRAME'],
    ['an empty frame', Buffer.alloc(0), true, 'ODD_FRAME'],
    ['an oversize audio frame', frame(MAX_FRAME_BYTES + 4), true, 'FRAME_TOO_LARGE'],
    ['bad JSON', 'not json', false, 'BAD_JSON'],
    ['an unknown type', '{"event": "mute"}', false, 'UNKNOWN_TYPE'],
    ['hold without on', '{"event": "hold", "data": {"onHold": true}}', false, 'BAD_MESSAGE'],
    ['lead without a lead', '{"event": "lead", "data": "Asha"}', false, 'BAD_MESSAGE'],
  ]
  // After each bad frame a valid one: taken, counted in the summary below, no error for it.
  await expectErrors(conn, cases, () => ws.send(good, { binary: true }))
  ws.send(JSON.stringify({ event: 'hold', data: { on: true } }))
  ws.send(JSON.stringify({ event: 'hold', data: { on: false } }))
  ws.send(JSON.stringify({ event: 'lead', data: { lead: { name: 'Asha Rao', notes: 'renewal due' } } }))
  for (let i = 0; i < 50; i++) ws.send(good, { binary: true }) // 1 s more
  ws.send(JSON.stringify({ event: 'stop' }))
  const summary = (await next('summary')).data
  assert.equal(summary.error, null)
  // 9 frames after the bad ones + 50 = 59 × 20 ms; only the valid frames reached the session.
  assert.ok(Math.abs(summary.metrics.audioSecondsReceived - 1.18) < 0.001, `received ${summary.metrics.audioSecondsReceived} s`)
  assert.equal(messages.filter((m) => m.event === 'error').length, cases.length, 'no error for a valid frame or control message')
  // After stop the socket is idle again: audio is refused, a new start is taken.
  ws.send(good, { binary: true })
  assert.equal((await next('error')).data.code, 'NOT_STARTED')
  ws.send(JSON.stringify({ event: 'start' }))
  await next('started')
  ws.send(JSON.stringify({ event: 'stop' }))
  await next('summary')
  ws.close()
})

test('a new socket (a reconnect) has no session until it sends start, then gets a new one', async () => {
  const first = await connect()
  first.ws.send(JSON.stringify({ event: 'start' }))
  await first.next('started')
  first.ws.send(frame(1280), { binary: true })
  first.ws.close()
  const second = await connect()
  second.ws.send(frame(1280), { binary: true })
  assert.equal((await second.next('error')).data.code, 'NOT_STARTED', 'a new socket has no session')
  second.ws.send(JSON.stringify({ event: 'start' }))
  await second.next('started')
  second.ws.send(JSON.stringify({ event: 'stop' }))
  assert.equal((await second.next('summary')).data.error, null)
  second.ws.close()
})
