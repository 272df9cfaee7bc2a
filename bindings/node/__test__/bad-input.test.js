'use strict'
// Wrong types, missing fields, empty strings and huge buffers: always a coded TypeError or a
// clean result, never a crash.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { OzonetelClient, LiveAssist } = require('../index.js')
const { startSim, clientOptions, AGENT, agentOf, assistConfig } = require('./helpers/sim.js')

let sim
let oz
let agent
before(async () => {
  sim = await startSim()
  oz = new OzonetelClient(clientOptions(sim))
  agent = agentOf(oz)
})
after(() => sim.stop())

const isInvalid = (e) => e instanceof TypeError && e.code === 'INVALID_INPUT' && typeof e.message === 'string'
const junk = [undefined, null, 0, 42, true, {}, [], () => {}, Symbol('x'), 10n, new Date(), Buffer.from('1')]

test('constructor: missing, wrong-typed, unknown and empty options throw INVALID_INPUT', () => {
  for (const options of [undefined, null, 'acme', 42, [], () => {}]) {
    assert.throws(() => new OzonetelClient(options), isInvalid, String(options))
  }
  const good = clientOptions(sim)
  const cases = [
    [{ ...good, userName: undefined }, /userName/],
    [{ ...good, apiKey: 5 }, /apiKey/],
    [{ ...good, apiKey: '' }, /api_key is required/],
    [{ ...good, userName: '   ' }, /user_name is required/],
    [{ ...good, authMode: 'oauth' }, /authMode/],
    [{ ...good, region: 'mars' }, /region/],
    [{ ...good, timeoutMs: -1 }, /timeoutMs/],
    [{ ...good, timeoutMs: 0 }, /timeout/],
    [{ ...good, baseUrl: 'ftp://x' }, /base_url/],
    // The agent left the client: the old options are unknown fields now, not a silent default.
    [{ ...good, did: '918041763265' }, /unknown field `did`/],
    [{ ...good, agentPhoneName: 'agent1' }, /unknown field `agentPhoneName`/],
    [{ ...good, agentNumber: '9123456780' }, /unknown field `agentNumber`/],
    [{ ...good, tokenStore: { redisUrl: 'redis://x' } }, /unknown field `tokenStore`/],
    [{ ...good, utcOffsetMinutes: 100000 }, /utcOffsetMinutes/],
    [{ ...good, retry: { maxAttempts: 'many' } }, /retry\.maxAttempts/],
    [{ ...good, baseURL: 'http://x' }, /unknown field `baseURL`/],
  ]
  for (const [options, message] of cases) {
    assert.throws(() => new OzonetelClient(options), (e) => isInvalid(e) && message.test(e.message), String(message))
  }
})

test('every ucid-taking method rejects non-strings and empty strings without sending', async () => {
  const before = (await sim.requests()).length
  const methods = [
    [agent, 'hold'],
    [agent, 'unhold'],
    [agent, 'mute'],
    [agent, 'unmute'],
    [oz, 'pauseRecording'],
    [oz, 'resumeRecording'],
  ]
  for (const [on, method] of methods) {
    for (const value of [...junk, '', '   ', '12a', '-1']) {
      await assert.rejects(on[method](value), isInvalid, `${method}(${String(value)})`)
    }
    await assert.rejects(on[method](), isInvalid, `${method}()`)
  }
  for (const method of ['conference', 'kick']) {
    await assert.rejects(agent[method]('123', 5), isInvalid)
    await assert.rejects(agent[method]('123', ''), isInvalid)
    await assert.rejects(agent[method]('123'), isInvalid)
  }
  assert.equal((await sim.requests()).length, before)
})

test('request objects: wrong shapes, missing and unknown fields', async () => {
  for (const request of [...junk, { ucid: '1' }, { action: 'HOLD' }, { action: 'HOLD', ucid: 1 }, { action: 'HOLD', ucid: '1', extra: 1 }]) {
    await assert.rejects(agent.callControl(request), isInvalid, String(request))
  }
  await assert.rejects(agent.callControl({ action: '', ucid: '1' }), isInvalid)
  for (const request of [undefined, {}, { ucid: '1' }, { ucid: '1', target: '9000000001', mode: 'lukewarm' }]) {
    await assert.rejects(agent.transfer(request), isInvalid)
  }
  await assert.rejects(oz.abandonedCalls({ fromTime: 'yesterday' }), isInvalid)
  // One parser in the core for every surface: a T separator is accepted, a time without
  // seconds is not (bad_input.c and the core's local_time tests say the same).
  await assert.rejects(
    oz.abandonedCalls({ fromTime: '2025-01-01T10:00' }),
    (e) => isInvalid(e) && e.message.includes('fromTime is "2025-01-01T10:00"; use account-local time as YYYY-MM-DD HH:mm:ss'),
  )
  await assert.rejects(oz.callRecords({ from: '2001-01-01T00:00:00', to: '2001-01-01T01:00:00' }), /15 days/)
  await assert.rejects(oz.abandonedCalls('today'), isInvalid)
  await assert.rejects(oz.abandonedCalls({ campaign: 'x' }), isInvalid)
  await assert.rejects(oz.callRecords({ from: '2020-01-01 00:00:00' }), isInvalid)
  await assert.rejects(oz.callRecords({ from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00' }), /15 days/)
  await assert.rejects(oz.callRecords({ from: 'x', to: 'y' }, 'not a function'), isInvalid)
  await assert.rejects(oz.callRecord('123', 'tomorrow'), isInvalid)
  await assert.rejects(oz.callRecord(123, '2020-01-01'), isInvalid)
  assert.throws(() => oz.watchMissedCalls({ intervalMs: 'often' }), isInvalid)
  assert.throws(() => oz.watchMissedCalls(7), isInvalid)
})

test('LiveAssist.start: bad configs reject INVALID_INPUT', async () => {
  const good = assistConfig(sim)
  const configs = [
    undefined,
    null,
    'config',
    {},
    { deepgram: {} },
    { deepgram: { apiKey: '' } },
    { ...good, deepgram: { ...good.deepgram, apiKey: 7 } },
    { ...good, audio: { encoding: 'opus', channels: 1 } },
    { ...good, audio: { encoding: 'linear16', sampleRate: 100, channels: 2 } },
    { ...good, audio: { encoding: 'linear16', sampleRate: 16000, channels: 0 } },
    { ...good, speakers: ['agent', 'robot'] },
    { ...good, speakers: [] },
    { ...good, suggestions: { apiKey: 'bad key' } },
    { ...good, replaySpeed: 0.5 },
    { ...good, lead: { name: 'A', favouriteColour: 'blue' } },
    { ...good, deepgram: { ...good.deepgram, endpointingMs: true } },
    { ...good, timing: { watchdogMs: 0 } },
    { ...good, surprise: true },
  ]
  for (const config of configs) {
    await assert.rejects(LiveAssist.start(config), isInvalid, String(config && Object.keys(config)))
  }
  await assert.rejects(LiveAssist.start(good, 'not a function'), isInvalid)
  // The core's Speaker parser (the inverse of how events name speakers) judges the list.
  await assert.rejects(
    LiveAssist.start({ ...good, speakers: ['agent', 'speaker_x'] }),
    (e) => isInvalid(e) && e.message.includes(`config.speakers[1]: "speaker_x" is not 'agent', 'customer' or 'speaker_N'`),
  )
})

test('LiveAssist methods: wrong argument types throw, a 50 MB buffer is taken', async () => {
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }))
  try {
    for (const chunk of ['audio', 42, null, undefined, {}, [1, 2], new Int16Array(4), new ArrayBuffer(8)]) {
      assert.throws(() => assist.sendAudio(chunk), isInvalid, String(chunk))
    }
    assert.throws(() => assist.setOnHold('yes'), isInvalid)
    assert.throws(() => assist.setOnHold(), isInvalid)
    assert.throws(() => assist.updateLead('Asha'), isInvalid)
    assert.throws(() => assist.updateLead({ name: 5 }), isInvalid)
    // The core refuses an empty chunk (nothing is sent), as the C ABI reports it.
    assert.throws(
      () => assist.sendAudio(Buffer.alloc(0)),
      (e) => isInvalid(e) && e.message.includes('the audio chunk is empty; nothing was sent'),
    )
    const big = Buffer.alloc(50 * 1024 * 1024)
    assert.equal(assist.sendAudio(big), 'queued')
    assert.equal(assist.sendAudio(new Uint8Array(640)), 'queued')
    const view = new Uint8Array(big.buffer, 1000, 640)
    assert.equal(assist.sendAudio(view), 'queued')
  } finally {
    const summary = await assist.stop()
    assert.ok(summary.metrics.audioSecondsReceived > 800, `${summary.metrics.audioSecondsReceived}`)
  }
})
