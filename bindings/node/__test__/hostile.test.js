'use strict'
// A hostile table: hundreds of bad arguments against every constructor and method — wrong
// types, huge numbers, NaN, 10 MB strings, nested and cyclic garbage, Symbols, getters and
// proxy traps that throw. Every throw or rejection must be an Error carrying one of the
// documented codes with a short message, nothing may panic (napi reports a Rust panic as
// `GenericFailure`), and the process must come through it.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { OzonetelClient, LiveAssist, SidecarRegistry, redact } = require('../index.js')
const { startSim, clientOptions, AGENT, agentOf, assistConfig } = require('./helpers/sim.js')

/** The methods that act as an agent: on `OzonetelAgent`, not the client. */
const AGENT_METHODS = ['hold', 'unhold', 'mute', 'unmute', 'conference', 'kick', 'callControl', 'transfer']

const CODES = new Set(['INVALID_INPUT', 'AUTH', 'API', 'RATE_LIMITED', 'TIMEOUT', 'TRANSPORT', 'PROTOCOL', 'CLOSED', 'AGENT_STATE'])

let sim
before(async () => {
  sim = await startSim()
})
after(() => sim.stop())

const huge = 'x'.repeat(10 * 1024 * 1024)
const cyclic = { a: 1 }
cyclic.self = cyclic
const cyclicArray = []
cyclicArray.push(cyclicArray)
let deep = {}
for (let i = 0; i < 5000; i++) deep = { deep }
const throwingGetter = {
  get ucid() {
    throw new Error('getter boom')
  },
  get action() {
    throw new Error('getter boom')
  },
}
const throwingProxy = new Proxy(
  {},
  {
    ownKeys() {
      throw new Error('trap boom')
    },
    get() {
      throw new Error('trap boom')
    },
  },
)
const lyingProxy = new Proxy(
  {},
  {
    ownKeys: () => ['userName', 'apiKey', 'deepgram'],
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
    get() {
      throw new Error('get boom')
    },
  },
)
const sparse = []
sparse.length = 1e9

/** Numbers that must never reach a channel constructor or a timer. */
const NUMBERS = [1e300, 2 ** 64, 2 ** 63, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -1, -1e300, 1.5, 0.0001, NaN, Infinity, -Infinity, -0, 0]
/** Everything else. */
const VALUES = [
  undefined,
  null,
  true,
  false,
  '',
  ' ',
  '\u0000',
  huge,
  Symbol('s'),
  10n,
  () => {},
  [],
  [1, 'a', null],
  {},
  new Date(0),
  new Map([[1, 2]]),
  Buffer.alloc(4),
  new Uint16Array(2),
  new ArrayBuffer(8),
  Object.create(null),
  cyclic,
  cyclicArray,
  deep,
  throwingGetter,
  throwingProxy,
  lyingProxy,
  sparse,
  new Error('an error as input'),
  ...NUMBERS,
]

let cases = 0
const started = []

/** Calls `fn`; a throw or a rejection must carry a documented code and a short message. */
async function expectCoded(label, fn) {
  cases++
  let result
  try {
    result = fn()
    if (result && typeof result.then === 'function') result = await result
  } catch (e) {
    assert.ok(e instanceof Error, `${label}: threw a non-Error ${String(e)}`)
    assert.ok(CODES.has(e.code), `${label}: code ${e.code} (${e.message.slice(0, 300)})`)
    assert.ok(e.message.length < 1000, `${label}: a ${e.message.length}-character message`)
    if (e.code === 'INVALID_INPUT') assert.ok(e instanceof TypeError, `${label}: INVALID_INPUT is a TypeError`)
    return { error: e }
  }
  return { result }
}

/** Every field path of `shape`, with `value` put there (and the rest of `base` kept). */
function withField(base, path, value) {
  const copy = structuredClone(base)
  let at = copy
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {}
    at = at[key]
  }
  at[path.at(-1)] = value
  return copy
}

const describe = (v) => {
  if (typeof v === 'string') return v.length > 20 ? `string(${v.length})` : JSON.stringify(v)
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return typeof v
  if (v === cyclic || v === cyclicArray) return 'cyclic'
  if (v === deep) return 'deep'
  if (v === throwingGetter) return 'throwing getter'
  if (v === throwingProxy || v === lyingProxy) return 'throwing proxy'
  if (v === sparse) return 'sparse 1e9 array'
  if (typeof v === 'number') return String(Object.is(v, -0) ? '-0' : v)
  return Object.prototype.toString.call(v)
}

const CLIENT_FIELDS = [
  ['userName'],
  ['apiKey'],
  ['baseUrl'],
  ['authMode'],
  ['region'],
  ['timeoutMs'],
  ['utcOffsetMinutes'],
  ['retry'],
  ['retry', 'maxAttempts'],
  ['retry', 'baseDelayMs'],
  ['retry', 'maxDelayMs'],
  ['retry', 'maxRetryAfterMs'],
  ['cdrRateLimit', 'requests'],
  ['cdrRateLimit', 'perMs'],
  ['accountStore'],
  ['accountStore', 'prefix'],
]

const AGENT_FIELDS = [['id'], ['phoneName'], ['number'], ['campaign'], ['did']]

test('the OzonetelClient constructor refuses hostile options with a code, or builds', async () => {
  const good = clientOptions(sim)
  for (const v of VALUES) await expectCoded(`new OzonetelClient(${describe(v)})`, () => new OzonetelClient(v))
  for (const path of CLIENT_FIELDS) {
    for (const v of VALUES) {
      await expectCoded(`options.${path.join('.')} = ${describe(v)}`, () => new OzonetelClient(withField(good, path, v)))
    }
  }
  // The numbers from issue #9 in particular: refused, not clamped or defaulted.
  for (const [path, v] of [
    [['timeoutMs'], NaN],
    [['timeoutMs'], 2 ** 64],
    [['timeoutMs'], 1e300],
    [['retry', 'maxAttempts'], 0],
    [['retry', 'maxDelayMs'], Number.MAX_SAFE_INTEGER],
    [['cdrRateLimit', 'perMs'], 2 ** 53],
    [['cdrRateLimit', 'requests'], 1e9],
  ]) {
    const { error } = await expectCoded(path.join('.'), () => new OzonetelClient(withField(good, path, v)))
    assert.equal(error?.code, 'INVALID_INPUT', `${path.join('.')} = ${v}`)
  }
})

test('client.agent refuses hostile agent refs with a code, or makes an agent', async () => {
  const oz = new OzonetelClient(clientOptions(sim))
  for (const v of VALUES) await expectCoded(`agent(${describe(v)})`, () => oz.agent(v))
  for (const path of AGENT_FIELDS) {
    for (const v of VALUES) {
      await expectCoded(`agent.${path.join('.')} = ${describe(v)}`, () => oz.agent(withField(AGENT, path, v)))
    }
  }
})

test('every OzonetelClient and OzonetelAgent method refuses hostile arguments with a code', async () => {
  const oz = new OzonetelClient(clientOptions(sim, { retry: { maxAttempts: 1 } }))
  const agent = agentOf(oz)
  const call = await sim.seedCall()
  const on = (method) => (AGENT_METHODS.includes(method) ? agent : oz)
  const oneArg = ['hold', 'unhold', 'mute', 'unmute', 'pauseRecording', 'resumeRecording', 'callControl', 'transfer', 'abandonedCalls', 'callRecords']
  for (const method of oneArg) {
    for (const v of VALUES) await expectCoded(`${method}(${describe(v)})`, () => on(method)[method](v))
  }
  for (const method of ['conference', 'kick', 'callRecord']) {
    for (const v of VALUES) {
      await expectCoded(`${method}(${describe(v)}, ok)`, () => on(method)[method](v, method === 'callRecord' ? '2020-01-01' : '9000000001'))
      await expectCoded(`${method}(ok, ${describe(v)})`, () => on(method)[method](call.ucid, v))
    }
  }
  const requests = {
    callControl: [{ action: 'HOLD', ucid: call.ucid, conferenceNumber: '9000000001' }, [['action'], ['ucid'], ['conferenceNumber']]],
    transfer: [{ ucid: '1', target: '9000000001', mode: 'warm' }, [['ucid'], ['target'], ['mode']]],
    abandonedCalls: [{ fromTime: '2001-01-01 00:00:00', toTime: '2001-01-01 01:00:00', campaignName: 'x' }, [['fromTime'], ['toTime'], ['campaignName']]],
    // A window Ozonetel refuses (too far back), so whatever else is wrong nothing is fetched.
    callRecords: [
      { from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00' },
      [['from'], ['to'], ['ucid'], ['campaignName'], ['monitorUcid'], ['callType'], ['status']],
    ],
  }
  for (const [method, [base, paths]] of Object.entries(requests)) {
    for (const path of paths) {
      for (const v of VALUES) {
        await expectCoded(`${method}({${path}: ${describe(v)}})`, () => on(method)[method](withField(base, path, v)))
      }
    }
  }
  for (const v of VALUES) {
    await expectCoded(`callRecords(ok, onProgress = ${describe(v)})`, () => oz.callRecords(requests.callRecords[0], v))
  }
  for (const path of [['intervalMs'], ['includeExisting'], ['campaignName']]) {
    for (const v of [...VALUES, 99, 86_400_001]) {
      const { result } = await expectCoded(`watchMissedCalls({${path}: ${describe(v)}})`, () =>
        oz.watchMissedCalls(withField({}, path, v)),
      )
      result?.close()
    }
  }
  for (const v of VALUES) {
    const { result } = await expectCoded(`watchMissedCalls(${describe(v)})`, () => oz.watchMissedCalls(v))
    result?.close()
  }
  const { error } = await expectCoded('intervalMs 2^64', () => oz.watchMissedCalls({ intervalMs: 2 ** 64 }))
  assert.equal(error?.code, 'INVALID_INPUT')
})

test('the desk methods refuse hostile arguments with a code', async () => {
  const oz = new OzonetelClient(clientOptions(sim, { retry: { maxAttempts: 1 }, eventsBaseUrl: sim.ozonetel }))
  const agent = agentOf(oz)
  for (const v of VALUES) {
    for (const method of ['login', 'logout', 'pause', 'forceReady', 'dial', 'phoneDial']) {
      await expectCoded(`agent.${method}(${describe(v)})`, () => agent[method](v))
    }
    await expectCoded(`agent.dial(ok, ${describe(v)})`, () => agent.dial('12', v))
    await expectCoded(`agent.phoneDial(ok, ${describe(v)})`, () => agent.phoneDial('12', v))
    await expectCoded(`agent.dispose(${describe(v)}, ok)`, () => agent.dispose(v, { code: 'x' }))
    await expectCoded(`agent.dispose(ok, ${describe(v)})`, () => agent.dispose('1'.repeat(25), v))
    await expectCoded(`subscribeEvents(${describe(v)})`, () => oz.subscribeEvents(v))
    await expectCoded(`unsubscribeEvents(${describe(v)})`, () => oz.unsubscribeEvents(v))
    await expectCoded(`callRecordFor(${describe(v)})`, () => oz.callRecordFor(v))
    await expectCoded(`parseEvent(${describe(v)}, ok)`, () => OzonetelClient.parseEvent(v, '{}'))
    await expectCoded(`parseEvent(ok, ${describe(v)})`, () => OzonetelClient.parseEvent('application/json', v))
    await expectCoded(`callRecordPages(${describe(v)}, 10)`, () => oz.callRecordPages(v, 10))
    const { result } = await expectCoded(`callRecordPages(ok, ${describe(v)})`, () =>
      oz.callRecordPages({ from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00' }, v),
    )
    if (result) await expectCoded('pages.next()', () => result.next())
  }
  // Option objects field by field; a 25-digit UCID, a 12 and a 2001 window: nothing can be sent.
  const fields = {
    dial: [['12', { uui: 'u', campaign: 'c' }], [['uui'], ['campaign']]],
    phoneDial: [['12', { callLimitSecs: 60, checkStatus: true, campaign: 'c', uui: 'u' }], [['callLimitSecs'], ['checkStatus'], ['campaign'], ['uui']]],
    dispose: [
      ['1'.repeat(25), { code: 'x', comments: 'c', callbackAt: '2030-01-01 10:00:00', pauseAfter: 'Break', autoRelease: true }],
      [['code'], ['comments'], ['callbackAt'], ['pauseAfter'], ['autoRelease']],
    ],
  }
  for (const [method, [[first, base], paths]] of Object.entries(fields)) {
    for (const path of paths) {
      for (const v of VALUES) {
        await expectCoded(`agent.${method}(ok, {${path}: ${describe(v)}})`, () => agent[method](first, withField(base, path, v)))
      }
    }
  }
  for (const path of [['call'], ['agent']]) {
    for (const v of VALUES) {
      await expectCoded(`subscribeEvents({${path}: ${describe(v)}})`, () =>
        oz.subscribeEvents(withField({ call: 'ftp://x', agent: 'ftp://y' }, path, v)),
      )
    }
  }
})

const ASSIST_FIELDS = [
  ['deepgram'],
  ['deepgram', 'apiKey'],
  ['deepgram', 'url'],
  ['deepgram', 'model'],
  ['deepgram', 'language'],
  ['deepgram', 'interimResults'],
  ['deepgram', 'endpointingMs'],
  ['deepgram', 'utteranceEndMs'],
  ['deepgram', 'keyterms'],
  ['deepgram', 'extraParams'],
  ['deepgram', 'multichannel'],
  ['deepgram', 'redact'],
  ['deepgram', 'preset'],
  ['audio'],
  ['audio', 'encoding'],
  ['audio', 'sampleRate'],
  ['audio', 'channels'],
  ['speakers'],
  ['suggestions'],
  ['suggestions', 'apiKey'],
  ['suggestions', 'baseUrl'],
  ['suggestions', 'intervalMs'],
  ['suggestions', 'minGapMs'],
  ['suggestions', 'timeoutMs'],
  ['suggestions', 'backoffInitialMs'],
  ['suggestions', 'backoffMaxMs'],
  ['suggestions', 'maxTranscriptChars'],
  ['suggestions', 'maxLeadChars'],
  ['suggestions', 'maxItems'],
  ['suggestions', 'postCall'],
  ['suggestions', 'postCall', 'timeoutMs'],
  ['suggestions', 'postCall', 'dispositions'],
  ['suggestions', 'postCall', 'maxTranscriptChars'],
  ['suggestions', 'postCall', 'systemPrompt'],
  ['redaction'],
  ['redaction', 'enabled'],
  ['redaction', 'keywords'],
  ['lead'],
  ['lead', 'name'],
  ['lead', 'history'],
  ['lead', 'fields'],
  ['timing', 'keepaliveAfterMs'],
  ['timing', 'watchdogMs'],
  ['timing', 'sendTimeoutMs'],
  ['timing', 'connectTimeoutMs'],
  ['timing', 'stopWaitMs'],
  ['reconnect', 'initialDelayMs'],
  ['reconnect', 'maxDelayMs'],
  ['reconnect', 'maxAttempts'],
  ['audioQueueChunks'],
  ['eventQueue'],
  ['replayBufferMs'],
  ['replaySpeed'],
]

/** Keeps only the values worth a real session when they happen to be accepted. */
function assistValues(path) {
  // 10 MB Deepgram URLs and parameters would each cost a refused handshake and reconnects;
  // those fields get the rest of the table.
  if (path[0] === 'deepgram' && ['url', 'model', 'language', 'extraParams', 'keyterms'].includes(path[1])) {
    return VALUES.filter((v) => v !== huge)
  }
  return VALUES
}

test('LiveAssist.start refuses hostile configs with a code (sessions it accepts are stopped)', async () => {
  // Sessions that start are fine; they must stop cleanly too. Short timers keep it quick.
  const good = assistConfig(sim, { suggestions: null, timing: { stopWaitMs: 1000 }, reconnect: { maxAttempts: 1, initialDelayMs: 10 } })
  const withSuggestions = assistConfig(sim, { timing: { stopWaitMs: 1000 }, reconnect: { maxAttempts: 1, initialDelayMs: 10 } })
  for (const v of VALUES) {
    const { result } = await expectCoded(`start(${describe(v)})`, () => LiveAssist.start(v))
    if (result) started.push(result)
    const second = await expectCoded(`start(ok, onEvent = ${describe(v)})`, () => LiveAssist.start(good, v))
    if (second.result) started.push(second.result)
  }
  for (const path of ASSIST_FIELDS) {
    const base = path[0] === 'suggestions' && path.length > 1 ? withSuggestions : good
    for (const v of assistValues(path)) {
      const { result } = await expectCoded(`config.${path.join('.')} = ${describe(v)}`, () => LiveAssist.start(withField(base, path, v)))
      if (result) started.push(result)
    }
    while (started.length) await expectCoded('stop()', () => started.pop().stop())
  }
  // Issue #9's panics: huge queue sizes were a "Panic in async function" (GenericFailure).
  for (const [path, v] of [
    [['eventQueue'], 2 ** 64],
    [['eventQueue'], 1e300],
    [['audioQueueChunks'], 2 ** 64],
    [['audioQueueChunks'], 1e300],
    [['eventQueue'], Number.MAX_SAFE_INTEGER],
    [['audioQueueChunks'], NaN],
    [['replaySpeed'], NaN],
    [['replayBufferMs'], 2 ** 53],
    [['timing', 'watchdogMs'], Number.MAX_SAFE_INTEGER],
    [['reconnect', 'maxDelayMs'], 1e300],
    [['suggestions', 'timeoutMs'], 2 ** 64],
  ]) {
    const base = path[0] === 'suggestions' ? withSuggestions : good
    const { error, result } = await expectCoded(path.join('.'), () => LiveAssist.start(withField(base, path, v)))
    if (result) await result.stop()
    assert.equal(error?.code, 'INVALID_INPUT', `${path.join('.')} = ${v}`)
  }
})

test('a live session refuses hostile arguments with a code and still stops', async () => {
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }), () => {})
  for (const v of VALUES) {
    await expectCoded(`sendAudio(${describe(v)})`, () => assist.sendAudio(v))
    await expectCoded(`setOnHold(${describe(v)})`, () => assist.setOnHold(v))
    await expectCoded(`setPrivate(${describe(v)})`, () => assist.setPrivate(v))
    await expectCoded(`redact(${describe(v)})`, () => redact(v))
    await expectCoded(`redact('x', ${describe(v)})`, () => redact('x', v))
    await expectCoded(`redact('x', { keywords: ${describe(v)} })`, () => redact('x', { keywords: v }))
    await expectCoded(`redact('x', { leadPhone: ${describe(v)} })`, () => redact('x', { leadPhone: v }))
    await expectCoded(`updateLead(${describe(v)})`, () => assist.updateLead(v))
    for (const field of ['name', 'phone', 'status', 'history', 'fields', 'notes']) {
      await expectCoded(`updateLead({${field}: ${describe(v)}})`, () => assist.updateLead({ [field]: v }))
    }
    await expectCoded(`finalize(${describe(v)})`, () => assist.finalize(v))
    await expectCoded(`metrics(${describe(v)})`, () => assist.metrics(v))
  }
  await assist.setOnHold(false)
  await assist.setPrivate(false)
  const summary = await assist.stop()
  assert.equal(typeof summary.metrics.eventsDropped, 'number')
  for (const v of VALUES.slice(0, 12)) {
    const { error } = await expectCoded(`after stop: sendAudio(${describe(v)})`, () => assist.sendAudio(v))
    assert.ok(error, 'sendAudio after stop fails')
  }
})

test('SidecarRegistry refuses hostile arguments with a code', async () => {
  const redisUrl = process.env.HELIX_TEST_REDIS_URL
  for (const v of VALUES) {
    await expectCoded(`SidecarRegistry.connect(${describe(v)}, ok)`, () => SidecarRegistry.connect(v, 'redis://127.0.0.1:1/'))
    await expectCoded(`SidecarRegistry.connect(ok, ${describe(v)})`, () => SidecarRegistry.connect('acme', v))
    await expectCoded(`SidecarRegistry.connect(ok, ok, ${describe(v)})`, () => SidecarRegistry.connect('', 'redis://127.0.0.1:1/', v))
  }
  // The methods need a live registry: on the suite's Redis (scripts/test.sh), under a prefix of their own.
  if (!redisUrl) return
  const registry = await SidecarRegistry.connect('acme', redisUrl, { prefix: `helix-node-hostile:${process.pid}:${Date.now()}:` })
  const url = 'http://10.0.0.7:3000/ozonetel/events'
  for (const v of VALUES) {
    const d = describe(v)
    await expectCoded(`register(${d}, ok, ok, ok)`, () => registry.register(v, url, ['asha'], 30_000))
    await expectCoded(`register(ok, ${d}, ok, ok)`, () => registry.register('s1', v, ['asha'], 30_000))
    await expectCoded(`register(ok, ok, ${d}, ok)`, () => registry.register('s1', url, v, 30_000))
    await expectCoded(`register(ok, ok, [${d}], ok)`, () => registry.register('s1', url, [v], 30_000))
    await expectCoded(`register(ok, ok, ok, ${d})`, () => registry.register('s1', url, ['asha'], v))
    await expectCoded(`heartbeat(${d}, ok)`, () => registry.heartbeat(v, 30_000))
    await expectCoded(`heartbeat(ok, ${d})`, () => registry.heartbeat('s1', v))
    await expectCoded(`deregister(${d})`, () => registry.deregister(v))
    await expectCoded(`lookup(${d})`, () => registry.lookup(v))
  }
})

test('the table was big enough to mean something, and the process is still here', () => {
  assert.ok(cases > 2000, `${cases} cases`)
  assert.equal(started.length, 0)
  assert.ok(process.memoryUsage().rss > 0)
})
