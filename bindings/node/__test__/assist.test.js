'use strict'
// LiveAssist against the simulator's Deepgram and OpenAI stand-ins: event order for a scripted
// call, both ways of reading events, the session controls, many sessions at once.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { setImmediate: tick } = require('node:timers/promises')
const { LiveAssist } = require('../index.js')
const { startSim, assistConfig, frames, BOOKING_CALL } = require('./helpers/sim.js')

let sim
before(async () => {
  sim = await startSim()
  await sim.setScript(BOOKING_CALL)
})
after(() => sim.stop())

/** Streams `seconds` of audio in 20 ms frames, yielding to the event loop between batches. */
async function stream(assist, seconds) {
  const all = frames(seconds)
  for (let i = 0; i < all.length; i++) {
    assert.equal(assist.sendAudio(all[i]), 'queued')
    if (i % 50 === 49) await tick()
  }
}

/** Resolves once `condition()` holds (polling), or fails after `ms`. */
async function until(condition, ms = 5000) {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms: ${condition}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const SCRIPT_FINALS = [
  ['agent', 'Hello, this is Priya. How can I help?'],
  ['customer', 'I would like to book a consultation.'],
  ['agent', 'Sure, which day suits you?'],
  ['customer', 'Next Monday, please.'],
]

test('event order for a scripted call, delivered to onEvent; closed is last and equals the summary', async () => {
  const events = []
  const assist = await LiveAssist.start(
    assistConfig(sim, { lead: { name: 'Asha Rao', history: ['asked about knee surgery'] } }),
    (event) => events.push(event),
  )
  await stream(assist, 10)
  // Suggestions run beside the transcript; give the one the customer's turn triggers time to land.
  await until(() => events.some((e) => e.type === 'suggestion'))
  const summary = await assist.stop()

  const types = events.map((e) => e.type)
  assert.equal(types.at(-1), 'closed', types.join(','))
  assert.equal(types.filter((t) => t === 'closed').length, 1)
  assert.ok(!types.includes('error'), types.join(','))
  const finals = events.filter((e) => e.type === 'transcript' && e.isFinal)
  assert.deepEqual(finals.map((e) => [e.segment.speaker, e.segment.text]), SCRIPT_FINALS)
  // Each final follows the speech-start of its speaker, and its interims.
  for (const final of finals) {
    const at = events.indexOf(final)
    const started = events.findIndex(
      (e) => e.type === 'speechStarted' && e.speaker === final.segment.speaker && e.at <= final.segment.start + 0.01,
    )
    assert.ok(started >= 0 && started < at, `speechStarted before "${final.segment.text}"`)
    const interims = events.filter((e) => e.type === 'transcript' && !e.isFinal && e.segment.channel === final.segment.channel)
    assert.ok(interims.some((e) => events.indexOf(e) < at))
  }
  // Times only grow on the call's timeline.
  const starts = finals.map((e) => e.segment.start)
  assert.deepEqual([...starts].sort((a, b) => a - b), starts)
  assert.ok(events.some((e) => e.type === 'utteranceEnd' && e.speaker === 'customer'))
  const suggestion = events.find((e) => e.type === 'suggestion')
  assert.ok(suggestion, 'a suggestion after the customer spoke')
  assert.ok(suggestion.items.length > 0 && typeof suggestion.items[0].text === 'string')
  assert.ok(events.indexOf(suggestion) > events.indexOf(finals[1]))

  const { type, ...closed } = events.at(-1)
  assert.equal(type, 'closed')
  assert.deepEqual(closed, summary)
  assert.equal(summary.complete, true)
  assert.equal(summary.error, null)
  assert.deepEqual(summary.transcript.segments.map((s) => s.text), SCRIPT_FINALS.map((f) => f[1]))
  assert.ok(summary.metrics.audioSecondsSent >= 9.99, `${summary.metrics.audioSecondsSent}`)
  assert.equal(typeof summary.duration, 'number')
  assert.equal(summary.requestIds.length, 1)
})

test('events as an async iterator, without a callback', async () => {
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }))
  const collected = (async () => {
    const seen = []
    for await (const event of assist) seen.push(event)
    return seen
  })()
  await stream(assist, 10)
  const summary = await assist.stop()
  const seen = await collected
  assert.equal(seen.at(-1).type, 'closed')
  const finals = seen.filter((e) => e.type === 'transcript' && e.isFinal).map((e) => e.segment.text)
  assert.deepEqual(finals, SCRIPT_FINALS.map((f) => f[1]))
  assert.equal(summary.transcript.segments.length, 4)
})

test('callback and iterator together; an iterator can stop early with break', async () => {
  const viaCallback = []
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }), (e) => viaCallback.push(e.type))
  const events = assist.events()
  await stream(assist, 3)
  const first = await events.next()
  assert.equal(first.done, false)
  assert.equal(typeof first.value.type, 'string')
  assert.deepEqual(await events.return(), { value: undefined, done: true })
  assert.deepEqual(await events.next(), { value: undefined, done: true })
  await assist.stop()
  assert.equal(viaCallback.at(-1), 'closed')
})

test('setOnHold, finalize, updateLead and metrics', async () => {
  const assist = await LiveAssist.start(assistConfig(sim), () => {})
  await stream(assist, 3)
  // Let the writer catch up first, as it does with real-time audio: the core drops a control
  // frame (with a log line) when its writer queue is full of a burst of audio.
  await until(() => assist.metrics().audioSecondsSent >= 2.99)
  assist.finalize()
  assist.setOnHold(true)
  await new Promise((r) => setTimeout(r, 200))
  assist.setOnHold(false)
  assist.updateLead({ name: 'Asha Rao', status: 'follow-up', fields: [['Plan', 'Gold']] })
  await stream(assist, 7)
  // The session drains its queue on its own task; metrics count what it has taken.
  await until(() => assist.metrics().audioSecondsReceived >= 9.99)
  const metrics = assist.metrics()
  assert.equal(metrics.droppedChunks, 0)
  const summary = await assist.stop()
  assert.equal(summary.error, null)
  const sessions = await sim.deepgramSessions()
  const mine = sessions.find((s) => s.request_id === summary.requestIds[0])
  assert.ok(mine.finalizes >= 2, `finalize() and going on hold each send Finalize: ${mine.finalizes}`)
  assert.equal(mine.close_streams, 1)
  const requests = await sim.control('GET', '/openai/requests')
  assert.ok(requests.some((r) => JSON.stringify(r).includes('Plan: Gold')), 'updated lead in a prompt')
})

test('an audio format without sampleRate or channels takes the core defaults', async () => {
  // The defaults live on the core's AudioFormat (linear16 16 kHz, mulaw 8 kHz, 2 channels);
  // the C ABI's zeroed fields get the same ones.
  for (const [audio, rate, channels] of [
    [{ encoding: 'linear16' }, '16000', '2'],
    [{ encoding: 'mulaw', channels: 1 }, '8000', '1'],
  ]) {
    const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null, audio }))
    const summary = await assist.stop()
    const mine = (await sim.deepgramSessions()).find((s) => s.request_id === summary.requestIds[0])
    const query = Object.fromEntries(mine.query)
    assert.equal(query.sample_rate, rate, JSON.stringify(audio))
    assert.equal(query.channels, channels, JSON.stringify(audio))
  }
})

test('twenty sessions at once', async () => {
  const sessions = await Promise.all(
    Array.from({ length: 20 }, () => LiveAssist.start(assistConfig(sim, { suggestions: null }), () => {})),
  )
  await Promise.all(sessions.map((s) => stream(s, 5)))
  const summaries = await Promise.all(sessions.map((s) => s.stop()))
  for (const summary of summaries) {
    assert.deepEqual(summary.transcript.segments.slice(0, 2).map((s) => s.text), SCRIPT_FINALS.slice(0, 2).map((f) => f[1]))
  }
})
