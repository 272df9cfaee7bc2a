'use strict'
// Issue 13 through the binding, against the simulator: private stretches on the wire, Deepgram's
// redact and the Indian preset in the query, the post-call summary, the live signals, the
// standalone redact(), and bad input for every new option.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { setImmediate: tick } = require('node:timers/promises')
const { LiveAssist, redact } = require('../index.js')
const { startSim, assistConfig } = require('./helpers/sim.js')

let sim
before(async () => {
  sim = await startSim()
})
after(() => sim.stop())

const RATE = 16000
const FRAME_SECONDS = 0.02

/** Stereo linear16 for call seconds from..to whose sample frames carry their index
 * (`sim_timecode`), so the simulator knows where in the call each chunk is and notices a gap. */
function timecoded(from, to) {
  const a = Math.round(from * RATE)
  const b = Math.round(to * RATE)
  const out = Buffer.alloc((b - a) * 4)
  for (let i = a; i < b; i++) {
    out.writeUInt16LE(i & 0xffff, (i - a) * 4)
    out.writeUInt16LE(i >>> 16, (i - a) * 4 + 2)
  }
  return out
}

/** Sends call seconds from..to in 20 ms frames; returns what each sendAudio answered. */
async function stream(assist, from, to) {
  const audio = timecoded(from, to)
  const frame = RATE * 4 * FRAME_SECONDS
  const answers = new Set()
  for (let off = 0, i = 0; off < audio.length; off += frame, i++) {
    answers.add(assist.sendAudio(audio.subarray(off, off + frame)))
    if (i % 25 === 24) await new Promise((r) => setTimeout(r, 2))
  }
  await tick()
  return answers
}

/** A config on the simulator with the script `script` (registered under a fresh name). */
let scripts = 0
async function configFor(script, extra = {}) {
  const name = `privacy-${++scripts}`
  await sim.control('PUT', `/deepgram/scripts/${name}`, script)
  const base = assistConfig(sim)
  return {
    ...base,
    timing: { keepaliveAfterMs: 300, watchdogMs: 2000, stopWaitMs: 3000 },
    replaySpeed: 1000,
    ...extra,
    deepgram: {
      ...base.deepgram,
      extraParams: { sim_timecode: 'true', sim_script: name },
      ...extra.deepgram,
    },
  }
}

async function sessionOf(summary) {
  return (await sim.deepgramSessions()).find((s) => s.request_id === summary.requestIds[0])
}

const CANARY = 'CANARY policy 4471 2290 3316'
const leaks = (text) => /canary|4471|2290|3316/i.test(text)

// The private window is call seconds 3–8; the canary is said at 4–7, inside it.
const CANARY_CALL = {
  turns: [
    { channel: 0, speaker: 'agent', text: 'Hello, how can I help you today?', start: 0.5, end: 2.5 },
    { channel: 1, speaker: 'customer', text: `My number is ${CANARY}.`, start: 4.0, end: 7.0 },
    { channel: 1, speaker: 'customer', text: 'Can you check my appointment please?', start: 9.0, end: 11.5 },
    { channel: 0, speaker: 'agent', text: 'Sure, one moment please.', start: 12.5, end: 14.0 },
  ],
}

test('setPrivate: no private audio reaches Deepgram, withheld, a private event each way, one marker, no canary anywhere', async () => {
  const events = []
  const assist = await LiveAssist.start(await configFor(CANARY_CALL), (e) => events.push(e))
  assert.deepEqual([...(await stream(assist, 0, 3))], ['queued'])
  assist.setPrivate(true)
  assist.setPrivate(true) // a repeat does nothing
  assert.deepEqual([...(await stream(assist, 3, 8))], ['withheld'])
  // Longer than keepaliveAfterMs with nothing sent: the socket is kept by KeepAlive.
  await new Promise((r) => setTimeout(r, 600))
  assist.setPrivate(false)
  assert.deepEqual([...(await stream(assist, 8, 16))], ['queued'])
  const summary = await assist.stop()
  assert.equal(summary.error, null)

  const privates = events.filter((e) => e.type === 'private')
  assert.deepEqual(privates.map((e) => e.private), [true, false])
  assert.ok(Math.abs(privates[0].at - 3) < 0.05 && Math.abs(privates[1].at - 8) < 0.05, JSON.stringify(privates))

  const markers = summary.transcript.segments.filter((s) => s.kind === 'private')
  assert.equal(markers.length, 1)
  assert.equal(markers[0].text, '[private]')
  assert.deepEqual(markers[0].words, [])
  assert.ok(Math.abs(markers[0].start - 3) < 0.05 && Math.abs(markers[0].end - 8) < 0.05, JSON.stringify(markers[0]))
  const speech = summary.transcript.segments.filter((s) => s.kind === 'speech').map((s) => s.text)
  assert.ok(speech.some((t) => t.includes('appointment')), speech.join(' | '))
  // Call times after the stretch: the timeline kept counting.
  const after = summary.transcript.segments.find((s) => s.text.includes('appointment'))
  assert.ok(after.start >= 8.9 && after.end <= 11.6, JSON.stringify(after))
  assert.ok(Math.abs(summary.metrics.privateSeconds - 5) < 0.05, `${summary.metrics.privateSeconds}`)

  const mine = await sessionOf(summary)
  assert.ok(mine.timecode_gaps.some(([from, to]) => Math.abs(from - 3) < 0.05 && Math.abs(to - 8) < 0.05), JSON.stringify(mine.timecode_gaps))
  assert.ok(Math.abs(mine.audio_seconds - 11) < 0.05, `Deepgram got the call minus the stretch: ${mine.audio_seconds}`)
  assert.ok(mine.keep_alives >= 1, 'KeepAlive kept the socket through the stretch')

  for (const e of events) assert.ok(!leaks(JSON.stringify(e)), JSON.stringify(e))
  assert.ok(!leaks(JSON.stringify(summary)), JSON.stringify(summary))
  const requests = await sim.control('GET', '/openai/requests')
  assert.ok(requests.length > 0, 'suggestions were asked for')
  for (const r of requests) assert.ok(!leaks(JSON.stringify(r)), JSON.stringify(r))
})

test('without the stretch the canary is in the call (the control run), redacted by the local redactor', async () => {
  const assist = await LiveAssist.start(await configFor(CANARY_CALL, { suggestions: null }))
  await stream(assist, 0, 16)
  const summary = await assist.stop()
  const text = summary.transcript.segments.map((s) => s.text).join(' | ')
  assert.match(text, /CANARY/i)
  // The number after "policy" is the redactor's: the agent sees its kind, not its digits.
  assert.match(text, /\[policy\]/)
  assert.ok(!/4471|2290|3316/.test(text), text)
})

test('setPrivate takes a boolean only; it throws CLOSED after stop', async () => {
  const assist = await LiveAssist.start(await configFor(CANARY_CALL, { suggestions: null }))
  for (const bad of [undefined, 1, 'true', null, {}]) {
    assert.throws(() => assist.setPrivate(bad), (e) => e.code === 'INVALID_INPUT' && /\bon\b/.test(e.message) && e instanceof TypeError, String(bad))
  }
  await assist.stop()
  assert.throws(() => assist.setPrivate(true), (e) => e.code === 'CLOSED')
})

test('deepgram.redact and the indian-multilingual preset on the wire; explicit fields override the preset', async () => {
  const cases = [
    // [deepgram options, expected query subset, redact_requested]
    [{}, { model: 'nova-3' }, ['pci']],
    [{ redact: ['pci', 'numbers'] }, {}, ['pci', 'numbers']],
    [{ redact: [] }, {}, []],
    [{ preset: 'indian-multilingual' }, { model: 'nova-3', language: 'multi', endpointing: '100' }, []],
    [{ preset: 'indian-multilingual', endpointingMs: 200, redact: ['numbers'] }, { language: 'multi', endpointing: '200' }, ['numbers']],
    [{ preset: 'indian-multilingual', language: 'en-IN', redact: ['pii'] }, { language: 'en-IN', endpointing: '100' }, ['pii']],
  ]
  for (const [deepgram, query, requested] of cases) {
    const assist = await LiveAssist.start(await configFor(CANARY_CALL, { suggestions: null, deepgram }))
    const summary = await assist.stop()
    const mine = await sessionOf(summary)
    const got = Object.fromEntries(mine.query)
    for (const [k, v] of Object.entries(query)) assert.equal(got[k], v, `${k} for ${JSON.stringify(deepgram)}`)
    assert.deepEqual(mine.redact_requested, requested, JSON.stringify(deepgram))
    assert.deepEqual(mine.query.filter(([k]) => k === 'redact').map(([, v]) => v), requested)
    if (deepgram.preset && !deepgram.language) assert.equal(mine.language, 'multi')
  }
  // Entity redaction with a non-English language is refused before anything is sent.
  await assert.rejects(
    LiveAssist.start(await configFor(CANARY_CALL, { suggestions: null, deepgram: { preset: 'indian-multilingual', redact: ['pci'] } })),
    (e) => e.code === 'INVALID_INPUT' && /redact/.test(e.message),
  )
})

const DISPOSITIONS = ['Appointment Booked', 'General Enquiry', 'Callback Requested']

test('postCall: the summary comes at stop() with one of the given dispositions; no canary in it', async () => {
  const assist = await LiveAssist.start(
    await configFor(CANARY_CALL, {
      suggestions: { ...assistConfig(sim).suggestions, postCall: { timeoutMs: 5000, dispositions: DISPOSITIONS } },
    }),
  )
  await stream(assist, 0, 3)
  assist.setPrivate(true)
  await stream(assist, 3, 8)
  assist.setPrivate(false)
  await stream(assist, 8, 16)
  const summary = await assist.stop()
  assert.equal(summary.postCallError, null)
  const pc = summary.postCall
  assert.ok(pc, 'a post-call summary')
  assert.ok(DISPOSITIONS.includes(pc.suggestedDisposition), pc.suggestedDisposition)
  assert.equal(pc.suggestedDisposition, 'Appointment Booked')
  assert.equal(typeof pc.summary, 'string')
  assert.equal(typeof pc.reason, 'string')
  assert.ok(['resolved', 'follow_up', 'escalated', 'unresolved', 'no_conversation'].includes(pc.outcome))
  assert.ok(Array.isArray(pc.followUps))
  assert.ok(['positive', 'neutral', 'negative', 'angry'].includes(pc.sentiment))
  assert.ok(pc.confidence >= 0 && pc.confidence <= 1)
  assert.ok(!leaks(JSON.stringify(summary)))
  const requests = await sim.control('GET', '/openai/requests')
  const summaryRequest = requests.filter((r) => JSON.stringify(r).includes('call_summary'))
  assert.ok(summaryRequest.length >= 1, 'the call_summary request was made')
  for (const r of requests) assert.ok(!leaks(JSON.stringify(r)), JSON.stringify(r))
})

test('postCall: a timeout leaves postCall null and says why in postCallError (upper-case code), the transcript whole', async () => {
  await sim.fault('openai_chat', { kind: 'delay', ms: 1500 }, 'always')
  try {
    const assist = await LiveAssist.start(
      await configFor(CANARY_CALL, {
        suggestions: { apiKey: 'sim-openai-key', baseUrl: sim.openai, intervalMs: 60000, postCall: { timeoutMs: 100 } },
      }),
    )
    await stream(assist, 0, 3)
    const summary = await assist.stop()
    assert.equal(summary.postCall, null)
    assert.equal(summary.postCallError.code, 'TIMEOUT')
    assert.equal(typeof summary.postCallError.message, 'string')
    assert.equal(summary.error, null)
    assert.ok(summary.transcript.segments.some((s) => s.text.includes('help you today')))
  } finally {
    await sim.clearFaults()
  }
})

test('suggestion batches carry sentiment and escalation: the Hinglish call\'s chest pain is a medical emergency', async () => {
  const events = []
  const base = assistConfig(sim)
  const assist = await LiveAssist.start(
    {
      ...base,
      deepgram: { ...base.deepgram, preset: 'indian-multilingual', extraParams: { sim_timecode: 'true', sim_script: 'hinglish' } },
      suggestions: { ...base.suggestions, intervalMs: 60000, minGapMs: 50 },
      timing: { keepaliveAfterMs: 300, stopWaitMs: 3000 },
    },
    (e) => events.push(e),
  )
  await stream(assist, 0, 27)
  const deadline = Date.now() + 5000
  while (!events.some((e) => e.type === 'suggestion' && e.escalation) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
  }
  const summary = await assist.stop()
  const batches = events.filter((e) => e.type === 'suggestion')
  assert.ok(batches.length > 0)
  for (const b of batches) assert.ok(b.sentiment === null || ['positive', 'neutral', 'negative', 'angry'].includes(b.sentiment), b.sentiment)
  const emergency = batches.find((b) => b.escalation && b.escalation.reason === 'medical_emergency')
  assert.ok(emergency, JSON.stringify(batches.map((b) => [b.sentiment, b.escalation])))
  assert.equal(typeof emergency.escalation.detail, 'string')
  assert.equal(emergency.items[0].kind, 'next_step')
  // The Hinglish policy number is redacted locally (the preset sends no Deepgram redact).
  const text = summary.transcript.segments.map((s) => s.text).join(' | ')
  assert.match(text, /policy number hai \[policy\]/, text)
  assert.deepEqual(summary.suggestions.map((b) => b.escalation), batches.map((b) => b.escalation))
})

test('redaction: { enabled: false } leaves the transcript as Deepgram sent it; keywords extend the identifier words', async () => {
  const call = {
    turns: [
      { channel: 1, speaker: 'customer', text: 'My MRN is 88 7766 5544 and policy 4471 2290.', start: 0.5, end: 3.0 },
    ],
  }
  const run = async (redaction) => {
    const assist = await LiveAssist.start(await configFor(call, { suggestions: null, redaction }))
    await stream(assist, 0, 4)
    return (await assist.stop()).transcript.segments.map((s) => s.text).join(' ')
  }
  const off = await run({ enabled: false })
  assert.match(off, /4471 2290/)
  const on = await run({ keywords: ['MRN'] })
  assert.ok(!/8877|7766|5544|4471|2290/.test(on), on)
  assert.match(on, /\[policy\]/)
  const defaults = await run(undefined)
  assert.match(defaults, /\[policy\]/)
})

test('redact(): the core redactor for hosts, true and false positives', () => {
  const cases = [
    // [text, options, expected text, kinds]
    ['My card is 4111 1111 1111 1111.', undefined, 'My card is [card].', ['card']],
    ['Aadhaar 2345 6789 0124 hai', undefined, null, ['aadhaar']],
    ['PAN is ABCPE1234F', undefined, 'PAN is [pan]', ['pan']],
    ['mail asha.rao@example.com please', undefined, 'mail [email] please', ['email']],
    ['call me on 98450 00001', undefined, 'call me on [phone]', ['phone']],
    ['call me on 98450 00001', { leadPhone: '+91 98450 00001' }, 'call me on 98450 00001', []],
    ['mera policy number hai 4471 2290 3316', undefined, 'mera policy number hai [policy]', ['policy']],
    ['my MRN is 55667788', { keywords: ['MRN'] }, 'my MRN is [account]', ['account']],
    // Survives: dates, times, prices, rooms, a 16-digit number that fails Luhn.
    ['Come on 12/03/2025 at 10:30, room 204, fee Rs 1,500.', undefined, 'Come on 12/03/2025 at 10:30, room 204, fee Rs 1,500.', []],
    ['the number 1234 5678 9012 3456', undefined, 'the number 1234 5678 9012 3456', []],
    ['', undefined, '', []],
  ]
  for (const [text, options, expected, kinds] of cases) {
    const out = redact(text, options)
    assert.deepEqual(Object.keys(out).sort(), ['kinds', 'text'])
    if (expected !== null) assert.equal(out.text, expected, text)
    assert.deepEqual(out.kinds, kinds, text)
  }
  assert.ok(!/2345|6789|0124/.test(redact('Aadhaar 2345 6789 0124 hai').text))
})

test('bad input for the new options: INVALID_INPUT naming the field', async () => {
  const isInvalid = (field) => (e) => e.code === 'INVALID_INPUT' && e instanceof TypeError && e.message.includes(field)
  // redact()
  for (const [args, field] of [
    [[5], 'text'],
    [[undefined], 'text'],
    [['x', 'opts'], 'options'],
    [['x', { keywords: 'MRN' }], 'options.keywords'],
    [['x', { keywords: [5] }], 'options.keywords'],
    [['x', { leadPhone: 98450 }], 'options.leadPhone'],
    [['x', { lead_phone: '9845000001' }], 'lead_phone'],
    [['x', { keywords: [''] }], 'keywords'],
    [['x', { keywords: Array(33).fill('w') }], 'keywords'],
  ]) {
    assert.throws(() => redact(...args), isInvalid(field), JSON.stringify(args))
  }
  // LiveAssist.start()
  const good = assistConfig(sim)
  const bad = [
    [{ ...good, redaction: true }, 'config.redaction'],
    [{ ...good, redaction: { enabled: 'yes' } }, 'config.redaction.enabled'],
    [{ ...good, redaction: { keywords: 'MRN' } }, 'config.redaction.keywords'],
    [{ ...good, redaction: { keywords: [''] } }, 'redaction.keywords'],
    [{ ...good, redaction: { enable: true } }, 'enable'],
    [{ ...good, deepgram: { ...good.deepgram, redact: 'pci' } }, 'config.deepgram.redact'],
    [{ ...good, deepgram: { ...good.deepgram, redact: ['credit_card'] } }, 'config.deepgram.redact'],
    [{ ...good, deepgram: { ...good.deepgram, preset: 'hindi' } }, 'config.deepgram.preset'],
    [{ ...good, deepgram: { ...good.deepgram, preset: true } }, 'config.deepgram.preset'],
    [{ ...good, deepgram: { ...good.deepgram, redact: ['pci'], extraParams: { redact: 'numbers' } } }, 'redact'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: true } }, 'config.suggestions.postCall'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { timeoutMs: '5s' } } }, 'config.suggestions.postCall.timeoutMs'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { timeoutMs: 0 } } }, 'post_call.timeout'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { timeoutMs: 1e300 } } }, 'postCall.timeoutMs'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { dispositions: 'General Enquiry' } } }, 'config.suggestions.postCall.dispositions'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { dispositions: ['A', 'A'] } } }, 'post_call.dispositions[1]'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { maxTranscriptChars: -1 } } }, 'config.suggestions.postCall.maxTranscriptChars'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { systemPrompt: 7 } } }, 'config.suggestions.postCall.systemPrompt'],
    [{ ...good, suggestions: { ...good.suggestions, postCall: { disposition: [] } } }, 'disposition'],
  ]
  for (const [config, field] of bad) {
    await assert.rejects(LiveAssist.start(config), isInvalid(field), field)
  }
})
