'use strict'
// Every error code, as a real Error with an upper-case `code`, and no secret in any message.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { OzonetelClient, LiveAssist } = require('../index.js')
const { startSim, clientOptions, agentOf, assistConfig, frames } = require('./helpers/sim.js')

let sim
before(async () => {
  sim = await startSim()
})
after(() => sim.stop())

const noRetry = { retry: { maxAttempts: 1 } }

/** Asserts `promise` rejects with a coded Error and no secret in it; returns the error. */
async function rejectsWith(promise, code) {
  let error
  await assert.rejects(promise, (e) => {
    error = e
    return true
  })
  assert.ok(error instanceof Error, `${error} is an Error`)
  assert.equal(error.code, code, `${error.message}`)
  for (const secret of ['sim-api-key', 'sim-deepgram-key', 'sim-openai-key', 'wrong-key-CANARY']) {
    assert.ok(!error.message.includes(secret), `secret in: ${error.message}`)
    assert.ok(!(error.stack || '').includes(secret))
  }
  return error
}

test('INVALID_INPUT is a TypeError, raised before anything is sent', async () => {
  const oz = new OzonetelClient(clientOptions(sim))
  const before = (await sim.requests()).length
  const e = await rejectsWith(agentOf(oz).hold('12ab'), 'INVALID_INPUT')
  assert.ok(e instanceof TypeError)
  await rejectsWith(agentOf(oz).conference('123', 'not a number'), 'INVALID_INPUT')
  await rejectsWith(agentOf(oz).callControl({ action: 'CONFERENCE', ucid: '123' }), 'INVALID_INPUT')
  await rejectsWith(agentOf(oz).callControl({ action: 'TRANSFER', ucid: '123' }), 'INVALID_INPUT')
  assert.equal((await sim.requests()).length, before)
})

test('AUTH for a refused API key or Deepgram key', async () => {
  const oz = new OzonetelClient(clientOptions(sim, { apiKey: 'wrong-key-CANARY', ...noRetry }))
  const call = await sim.seedCall()
  await rejectsWith(agentOf(oz).hold(call.ucid), 'AUTH')
  await rejectsWith(
    LiveAssist.start(assistConfig(sim, { deepgram: { apiKey: 'wrong-key-CANARY', url: sim.deepgram } })),
    'AUTH',
  )
})

test('API carries the service and the HTTP status', async () => {
  const oz = new OzonetelClient(clientOptions(sim, noRetry))
  const notFound = await rejectsWith(agentOf(oz).hold('99999999999'), 'API')
  assert.equal(notFound.service, 'ozonetel')
  assert.match(notFound.message, /Call not Found/i)
  const call = await sim.seedCall()
  await sim.fault('call_control', { kind: 'status', status: 502 })
  const gateway = await rejectsWith(agentOf(oz).conference(call.ucid, '9000000007'), 'API')
  assert.equal(gateway.httpStatus, 502)
})

test('RATE_LIMITED carries retryAfterMs', async () => {
  const oz = new OzonetelClient(clientOptions(sim, noRetry))
  await sim.fault('abandon_calls', { kind: 'rate_limited', retry_after_secs: 120 })
  const e = await rejectsWith(oz.abandonedCalls(), 'RATE_LIMITED')
  assert.equal(e.retryAfterMs, 120_000)
})

test('TIMEOUT when the server never answers', async () => {
  const oz = new OzonetelClient(clientOptions(sim, { timeoutMs: 300, ...noRetry }))
  const call = await sim.seedCall()
  await sim.fault('record', { kind: 'stop_answering' })
  await rejectsWith(oz.pauseRecording(call.ucid), 'TIMEOUT')
})

test('TRANSPORT when nothing listens', async () => {
  const oz = new OzonetelClient(clientOptions(sim, { baseUrl: 'http://127.0.0.1:9', ...noRetry }))
  await rejectsWith(agentOf(oz).hold('123456'), 'TRANSPORT')
})

test('PROTOCOL for an HTML page instead of JSON', async () => {
  const oz = new OzonetelClient(clientOptions(sim, noRetry))
  await sim.fault('abandon_calls', { kind: 'html' })
  await rejectsWith(oz.abandonedCalls(), 'PROTOCOL')
})

test('CLOSED for a finished transfer and a stopped session', async () => {
  const oz = new OzonetelClient(clientOptions(sim))
  const call = await sim.seedCall()
  const t = await agentOf(oz).transfer({ ucid: call.ucid, target: '9000000008' })
  await t.complete()
  await rejectsWith(t.complete(), 'CLOSED')
  await rejectsWith(t.cancel(), 'CLOSED')

  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }))
  await assist.stop()
  for (const call of [() => assist.sendAudio(Buffer.alloc(640)), () => assist.finalize(), () => assist.metrics()]) {
    assert.throws(call, (e) => e instanceof Error && e.code === 'CLOSED')
  }
  await rejectsWith(assist.stop(), 'CLOSED')
})

test('AUTH and API name their service: ozonetel, deepgram, openai', async () => {
  const call = await sim.seedCall()
  const oz = new OzonetelClient(clientOptions(sim, { apiKey: 'wrong-key-CANARY', ...noRetry }))
  assert.equal((await rejectsWith(agentOf(oz).hold(call.ucid), 'AUTH')).service, 'ozonetel')

  const dgAuth = await rejectsWith(
    LiveAssist.start(assistConfig(sim, { suggestions: null, deepgram: { apiKey: 'wrong-key-CANARY', url: sim.deepgram } })),
    'AUTH',
  )
  assert.equal(dgAuth.service, 'deepgram')
  await sim.fault('deepgram_listen', { kind: 'refuse_handshake', status: 400 })
  const dgApi = await rejectsWith(LiveAssist.start(assistConfig(sim, { suggestions: null })), 'API')
  assert.equal(dgApi.service, 'deepgram')
  assert.equal(dgApi.httpStatus, 400)

  // OpenAI's refusals surface as session events (suggestions stop; the transcript goes on).
  const suggestions = (apiKey) => ({ apiKey, baseUrl: sim.openai, intervalMs: 100, minGapMs: 50 })
  async function firstError(config, faultFirst) {
    const events = []
    const assist = await LiveAssist.start(config, (e) => events.push(e))
    if (faultFirst) await faultFirst()
    for (const frame of frames(10)) assist.sendAudio(frame)
    const deadline = Date.now() + 10_000
    while (!events.some((e) => e.type === 'error' || e.type === 'warning') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
    }
    await assist.stop()
    return events.find((e) => e.type === 'error')
  }
  const openaiAuth = await firstError(assistConfig(sim, { suggestions: suggestions('wrong-key-CANARY') }))
  assert.ok(openaiAuth, 'a refused OpenAI key is an error event')
  assert.equal(openaiAuth.code, 'AUTH')
  assert.equal(openaiAuth.service, 'openai')
  assert.ok(!openaiAuth.message.includes('wrong-key-CANARY'))
})
