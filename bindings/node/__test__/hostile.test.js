'use strict'
// A hostile table: thousands of bad arguments against every constructor, method and function
// index.d.ts exports — wrong types; NUL bytes, bidi marks and lone surrogates inside strings;
// 10 MB strings in every string field; NaN, ±Infinity, -1, -0, 2^53+1, 1e308 and BigInts in
// every number; missing required fields and extra unknown ones at every level; nested, cyclic
// and sparse garbage, Symbols, getters and proxy traps that throw; every method of every
// object that can be closed, after it was closed. The rules every case is held to:
//
// - a failure is an `Error` whose `code` is one of index.d.ts's `ErrorCode`s (a Rust panic
//   would surface as napi's `GenericFailure`), `INVALID_INPUT` a `TypeError`;
// - its message is at most MAX_MESSAGE_CHARS characters;
// - no canary secret (the Ozonetel API key, the Deepgram and OpenAI keys, an agent's password,
//   a Redis password, the live Ozonetel token) appears in its message, code, stack, JSON or
//   `util.inspect`;
// - nothing hangs: every Promise settles within CASE_TIMEOUT_MS.
//
// Documented behaviours the table asserts: an unknown field of an options object is refused
// (`INVALID_INPUT` naming it) everywhere except `callRecordFor`'s event, which reads what it
// needs and ignores the rest (so `parseEvent`'s result can be passed back whole); extra
// positional arguments are ignored, as by any JS function; a required field or argument that
// is missing is `INVALID_INPUT` naming it; after `stop()` every `LiveAssist` method is `CLOSED`
// (its iterators are done), a finished `Transfer` is `CLOSED`, and a closed or returned
// iterator (`MissedCallWatcher`, `CallRecordPages`, `AssistEvents`) answers `{ done: true }`.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const { OzonetelClient, OzonetelAgent, LiveAssist, SidecarRegistry, redact } = require('../index.js')
const { startSim, clientOptions, AGENT, agentOf, assistConfig, frames } = require('./helpers/sim.js')

/** The longest message any error may carry: long enough to say what and how to fix it. */
const MAX_MESSAGE_CHARS = 1024
/** No case may take longer than this to settle (a hang fails here, not at the suite's timeout). */
const CASE_TIMEOUT_MS = 5000

/** The documented codes: index.d.ts's `ErrorCode`, read from the file users read. */
const CODES = (() => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const union = dts.match(/export type ErrorCode =((?:\s*\|\s*'[A-Z_]+')+)/)
  assert.ok(union, 'index.d.ts declares ErrorCode')
  return new Set([...union[1].matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]))
})()

/** Secrets the suite puts where secrets go; none may come back in an error. */
const CANARY = {
  ozonetelKey: 'ozkey-CANARY-3f9d1c77',
  deepgramKey: 'dgkey-CANARY-8b2e4a10',
  openaiKey: 'oaikey-CANARY-51c7e0aa',
  agentPassword: 'agentpw-CANARY-a6d2f9',
  redisPassword: 'redispw-CANARY-c03b7e',
}
/** Also refused: any spelling of the marker, so a partial echo (a quoted prefix) counts too. */
const LEAK = /canary/i
/** The live Ozonetel token once one was issued (read from the simulator at the end). */
const everyErrorText = []

const AGENT_METHODS = ['hold', 'unhold', 'mute', 'unmute', 'conference', 'kick', 'callControl', 'transfer']

let sim
before(async () => {
  sim = await startSim()
  // The simulator's account and agent, with canary credentials: every client of this file
  // authenticates with a canary key, every login sends a canary password.
  await sim.control('POST', '/accounts', {
    userName: 'acme',
    apiKey: CANARY.ozonetelKey,
    campaigns: ['Inbound_918041763265', 'Outbound_918041763265'],
  })
  await sim.control('POST', '/agents', {
    agent_id: AGENT.id,
    password: CANARY.agentPassword,
    phone_name: AGENT.phoneName,
    phone_number: AGENT.number,
    campaigns: ['Inbound_918041763265', 'Outbound_918041763265'],
  })
})
after(() => sim.stop())

/** A client of the canary account. */
const canaryClient = (extra = {}) => new OzonetelClient(clientOptions(sim, { apiKey: CANARY.ozonetelKey, ...extra }))

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

/** Strings no field should choke on: NULs inside, bidi controls, lone surrogates, 10 MB. */
const STRINGS = [
  '',
  ' ',
  '\u0000',
  'ab\u0000cd',
  '\u202Eevil\u202C',
  '\u200Fx\u200E',
  '\u2066x\u2069',
  '\uD800',
  'a\uDC00b',
  '\uFEFF',
  '\r\n\t',
  huge,
]
/** Numbers that must never reach a channel constructor or a timer. */
const NUMBERS = [
  1e308,
  -1e308,
  1e300,
  2 ** 64,
  2 ** 63,
  2 ** 53 + 1,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  -1,
  1.5,
  0.0001,
  Number.MIN_VALUE,
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
]
const BIGINTS = [10n, -1n, 2n ** 64n]
/** Everything else. */
const VALUES = [
  undefined,
  null,
  true,
  false,
  ...STRINGS,
  Symbol('s'),
  ...BIGINTS,
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
/** Numbers no integer field may take (each is refused, never clamped or defaulted). */
const BAD_INTEGERS = [NaN, Infinity, -Infinity, 1.5, 2 ** 53 + 2, 1e308, -1e308, 2 ** 64, ...BIGINTS]
/** Keys no options object knows. */
const EXTRA_KEYS = ['surprise', 'ab\u0000cd', '\u202Efield', '\uD800', '__proto__', 'constructor', 'k'.repeat(100_000)]

/** A secret as pasted badly: the errors about it must not repeat it. */
function secretVariants(secret) {
  return [
    `${secret}\u0000`,
    ` ${secret} `,
    `${secret}\n`,
    `\u202E${secret}`,
    `${secret}\uD800`,
    `${secret} ${secret}`,
    `${secret}é`,
    huge + secret,
    secret.repeat(50_000),
  ]
}

/** Per-test case counts, printed and checked against a floor so the table cannot shrink unseen. */
const counts = {}
let total = 0
/** Per-test case durations; HOSTILE_PROFILE=1 prints the slowest (where the suite's time goes). */
const profiles = []
after(() => {
  if (!process.env.HOSTILE_PROFILE) return
  for (const [name, slow] of profiles) {
    slow.sort((a, b) => b[0] - a[0])
    const sum = slow.reduce((t, [ms]) => t + ms, 0)
    console.log(`${name}: ${sum} ms in cases\n${slow.slice(0, 15).map(([ms, l]) => `  ${ms} ms ${l.slice(0, 120)}`).join('\n')}`)
  }
})

function describe(v) {
  if (typeof v === 'string') return v.length > 20 ? `string(${v.length})` : JSON.stringify(v)
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v
  if (typeof v === 'bigint') return `${v}n`
  if (v === cyclic || v === cyclicArray) return 'cyclic'
  if (v === deep) return 'deep'
  if (v === throwingGetter) return 'throwing getter'
  if (v === throwingProxy || v === lyingProxy) return 'throwing proxy'
  if (v === sparse) return 'sparse 1e9 array'
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v)
  return Object.prototype.toString.call(v)
}

/** Every way an error can be printed, logged or serialised. */
function errorText(e) {
  let json = ''
  try {
    json = JSON.stringify(e, Object.getOwnPropertyNames(e))
  } catch (err) {
    json = String(err)
  }
  return [String(e.message), String(e.code), String(e.stack), json, util.inspect(e, { depth: 4 })].join('\n')
}

/** The rules of every failure (see the top of the file). */
function checkError(label, e) {
  assert.ok(e instanceof Error, `${label}: threw a non-Error ${describe(e)}`)
  assert.ok(CODES.has(e.code), `${label}: code ${e.code} (${String(e.message).slice(0, 300)})`)
  assert.equal(typeof e.message, 'string', label)
  assert.ok(e.message.length <= MAX_MESSAGE_CHARS, `${label}: a ${e.message.length}-character message`)
  if (e.code === 'INVALID_INPUT') assert.ok(e instanceof TypeError, `${label}: INVALID_INPUT is a TypeError`)
  const text = errorText(e)
  assert.ok(!LEAK.test(text), `${label}: a secret in the error: ${text.slice(0, 400)}`)
  everyErrorText.push(text)
}

/** Resolves `promise`, or fails `label` once CASE_TIMEOUT_MS has passed. */
async function settled(label, promise) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${label} did not settle in ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A per-test case runner: `run(label, fn)` calls `fn`; a throw or rejection must follow the rules. */
function cases(name) {
  counts[name] = 0
  const run = async (label, fn) => {
    counts[name]++
    total++
    let result
    const t0 = Date.now()
    try {
      result = fn()
      if (result && typeof result.then === 'function') result = await settled(label, result)
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('HANG: ')) throw e
      checkError(label, e)
      return { error: e }
    } finally {
      slow.push([Date.now() - t0, label])
    }
    return { result }
  }
  /** `fn` must fail with `code` (and, for INVALID_INPUT naming a field, mention `names`). */
  run.expect = async (code, label, fn, names = []) => {
    const { error, result } = await run(label, fn)
    assert.equal(error?.code, code, `${label}: expected ${code}, got ${error ? `${error.code}: ${error.message.slice(0, 200)}` : `a result ${describe(result)}`}`)
    for (const n of names) assert.ok(error.message.includes(n), `${label}: the message names ${n}: ${error.message.slice(0, 300)}`)
    return error
  }
  const slow = []
  profiles.push([name, slow])
  run.done = (floor) => {
    console.log(`hostile cases: ${name}`, counts[name])
    assert.ok(counts[name] >= floor, `${name}: ${counts[name]} cases, fewer than ${floor}`)
  }
  return run
}

/** `base` with `value` at `path` (objects on the way created). */
function withField(base, path, value) {
  const copy = structuredClone(base)
  let at = copy
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {}
    at = at[key]
  }
  Object.defineProperty(at, path.at(-1), { value, enumerable: true, configurable: true, writable: true })
  return copy
}

/** `base` without the field at `path`. */
function without(base, path) {
  const copy = structuredClone(base)
  let at = copy
  for (const key of path.slice(0, -1)) at = at[key]
  delete at[path.at(-1)]
  return copy
}

/** Free maps, whose keys are the caller's (Deepgram's extra query parameters), not fields. */
const OPEN_MAPS = new Set(['extraParams'])

/** Every object level of `base` (as paths), the root first; free maps are not levels. */
function objectLevels(base, prefix = []) {
  const levels = [prefix]
  for (const [k, v] of Object.entries(base)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && !OPEN_MAPS.has(k)) levels.push(...objectLevels(v, [...prefix, k]))
  }
  return levels
}

/**
 * The documented rules for the option object `base` of `call`: each required path missing is
 * INVALID_INPUT naming it, each unknown key at each level is INVALID_INPUT naming it as
 * unknown (`ignoresExtra`: it is ignored instead, and the outcome is the one without it).
 */
async function shapeRules(run, label, base, required, call, { ignoresExtra = false } = {}) {
  for (const p of required) {
    await run.expect('INVALID_INPUT', `${label} without ${p.join('.')}`, () => call(without(base, p)), [p.at(-1)])
  }
  const plain = ignoresExtra ? await run(`${label} as is`, () => call(base)) : null
  for (const level of objectLevels(base)) {
    for (const key of EXTRA_KEYS) {
      const at = [...level, key]
      const name = `${label} + ${level.join('.') || '(root)'}.${describe(key)}`
      if (ignoresExtra) {
        const { error } = await run(name, () => call(withField(base, at, 1)))
        assert.equal(error?.code, plain.error?.code, `${name}: an extra field is ignored`)
        assert.ok(!error?.message.includes('unknown field'), `${name}: an extra field is ignored: ${error?.message}`)
      } else {
        await run.expect('INVALID_INPUT', name, () => call(withField(base, at, 1)), ['unknown field'])
      }
    }
  }
}

/** Extra positional arguments are ignored: the outcome is the one without them. */
async function extraArgsIgnored(run, label, fn, args) {
  const plain = await run(`${label}(ok)`, () => fn(...args))
  const extra = await run(`${label}(ok, extra, extra)`, () => fn(...args, { surprise: 1 }, huge))
  assert.equal(extra.error?.code, plain.error?.code, `${label}: extra arguments change nothing`)
}

const CLIENT_FIELDS = [
  ['userName'],
  ['apiKey'],
  ['baseUrl'],
  ['eventsBaseUrl'],
  ['authMode'],
  ['region'],
  ['timeoutMs'],
  ['utcOffsetMinutes'],
  ['retry'],
  ['retry', 'maxAttempts'],
  ['retry', 'baseDelayMs'],
  ['retry', 'maxDelayMs'],
  ['retry', 'maxRetryAfterMs'],
  ['cdrRateLimit'],
  ['cdrRateLimit', 'requests'],
  ['cdrRateLimit', 'perMs'],
  ['accountStore'],
  ['accountStore', 'redisUrl'],
  ['accountStore', 'prefix'],
]
const CLIENT_INTEGERS = [
  ['timeoutMs'],
  ['utcOffsetMinutes'],
  ['retry', 'maxAttempts'],
  ['retry', 'baseDelayMs'],
  ['retry', 'maxDelayMs'],
  ['retry', 'maxRetryAfterMs'],
  ['cdrRateLimit', 'requests'],
  ['cdrRateLimit', 'perMs'],
]

/**
 * The suite's Redis (scripts/test.sh) as host:port, where a connection is answered at once; a
 * closed port otherwise (each connection attempt there costs the core's bounded retries, ~2.5 s).
 */
const REDIS_HOST = process.env.HELIX_TEST_REDIS_URL ? new URL(process.env.HELIX_TEST_REDIS_URL).host : '127.0.0.1:1'
/**
 * Redis URLs carrying the canary password, spelt every way a URL goes wrong, and refused
 * before any connection is made.
 */
const BAD_REDIS_URLS = [
  `redis://:${CANARY.redisPassword}@[::1/`,
  `redis://:${CANARY.redisPassword}@127.0.0.1:99999/`,
  `http://:${CANARY.redisPassword}@${REDIS_HOST}/`,
  `ftp://:${CANARY.redisPassword}@${REDIS_HOST}/`,
  CANARY.redisPassword,
  `${CANARY.redisPassword}@${REDIS_HOST}`,
  `redis://:${CANARY.redisPassword}@${'h'.repeat(3000)}:1/`,
  `redis://:${CANARY.redisPassword}@${huge}`,
]
/**
 * And two that reach a server (each connection that fails costs the core's bounded retries,
 * ~2.5 s): the suite's Redis, which has no password and refuses the one given, and (for the
 * lazy account store only) one nobody answers.
 */
const WRONG_PASSWORD_REDIS = `redis://user:${CANARY.redisPassword}@${REDIS_HOST}/0`
const UNREACHABLE_REDIS = `redis://:${CANARY.redisPassword}@127.0.0.1:1/`
const REDIS_URLS = [...BAD_REDIS_URLS, WRONG_PASSWORD_REDIS, UNREACHABLE_REDIS]

test('the OzonetelClient constructor: hostile options, missing and extra fields, canary keys', async () => {
  const run = cases('OzonetelClient constructor')
  const good = clientOptions(sim, { apiKey: CANARY.ozonetelKey })
  // Its own account: a client of the canary account naming an unreachable store would make
  // the account's store that one, and every later call of the file wait out its retries.
  const full = {
    ...good,
    userName: 'acme-with-a-store',
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 },
    cdrRateLimit: { requests: 2, perMs: 60_000 },
    accountStore: { redisUrl: 'redis://127.0.0.1:1/', prefix: 'p:' },
  }
  for (const v of VALUES) await run(`new OzonetelClient(${describe(v)})`, () => new OzonetelClient(v))
  for (const p of CLIENT_FIELDS) {
    for (const v of VALUES) await run(`options.${p.join('.')} = ${describe(v)}`, () => new OzonetelClient(withField(good, p, v)))
  }
  for (const p of CLIENT_INTEGERS) {
    for (const v of BAD_INTEGERS) await run.expect('INVALID_INPUT', `${p.join('.')} = ${describe(v)}`, () => new OzonetelClient(withField(good, p, v)))
  }
  // Out of range, by the core's documented ranges.
  for (const [p, v] of [
    [['timeoutMs'], -1],
    [['timeoutMs'], 0],
    [['timeoutMs'], 600_001],
    [['utcOffsetMinutes'], 1440],
    [['retry', 'maxAttempts'], 0],
    [['retry', 'maxAttempts'], 11],
    [['retry', 'maxDelayMs'], Number.MAX_SAFE_INTEGER],
    [['cdrRateLimit', 'perMs'], 2 ** 53],
    [['cdrRateLimit', 'requests'], 1e9],
  ]) {
    await run.expect('INVALID_INPUT', `${p.join('.')} = ${v}`, () => new OzonetelClient(withField(good, p, v)))
  }
  await run.expect('INVALID_INPUT', 'new OzonetelClient()', () => new OzonetelClient())
  await shapeRules(run, 'options', full, [['userName'], ['apiKey'], ['cdrRateLimit', 'requests'], ['cdrRateLimit', 'perMs'], ['accountStore', 'redisUrl']], (o) => new OzonetelClient(o))
  await extraArgsIgnored(run, 'new OzonetelClient', (...a) => new OzonetelClient(...a), [good])
  // A key pasted badly is refused without being repeated.
  for (const key of secretVariants(CANARY.ozonetelKey)) {
    await run.expect('INVALID_INPUT', `apiKey = ${describe(key)}`, () => new OzonetelClient({ ...good, apiKey: key }), ['api'])
  }
  // A Redis password in a bad or unreachable URL: refused now, or a TRANSPORT error on use.
  for (const redisUrl of REDIS_URLS) {
    const { result } = await run(`accountStore.redisUrl = ${describe(redisUrl)}`, () =>
      new OzonetelClient({ ...good, userName: `redis-${total}`, retry: { maxAttempts: 1 }, accountStore: { redisUrl } }),
    )
    if (result) await run(`a call through ${describe(redisUrl)}`, () => result.pauseRecording('1234567890123456'))
  }
  run.done(1100)
})

test('client.agent and new OzonetelAgent: hostile agent refs, missing and extra fields', async () => {
  const run = cases('agent refs')
  const oz = canaryClient()
  for (const v of VALUES) await run(`agent(${describe(v)})`, () => oz.agent(v))
  for (const p of [['id'], ['phoneName'], ['number'], ['campaign'], ['did']]) {
    for (const v of VALUES) await run(`agent.${p.join('.')} = ${describe(v)}`, () => oz.agent(withField(AGENT, p, v)))
  }
  await run.expect('INVALID_INPUT', 'agent()', () => oz.agent())
  await shapeRules(run, 'agent', AGENT, [['id']], (a) => oz.agent(a))
  await extraArgsIgnored(run, 'agent', (...a) => oz.agent(...a), [AGENT])
  for (const v of [undefined, ...VALUES.slice(0, 20), AGENT]) {
    await run.expect('INVALID_INPUT', `new OzonetelAgent(${describe(v)})`, () => new OzonetelAgent(v))
  }
  run.done(330)
})

test('every OzonetelClient and OzonetelAgent call method: hostile arguments, missing and extra fields', async () => {
  const run = cases('call methods')
  const oz = canaryClient({ retry: { maxAttempts: 1 } })
  const agent = agentOf(oz)
  const call = await sim.seedCall()
  const on = (method) => (AGENT_METHODS.includes(method) ? agent : oz)
  const oneArg = ['hold', 'unhold', 'mute', 'unmute', 'pauseRecording', 'resumeRecording', 'callControl', 'transfer', 'abandonedCalls', 'callRecords']
  for (const method of oneArg) {
    for (const v of VALUES) await run(`${method}(${describe(v)})`, () => on(method)[method](v))
  }
  for (const method of ['hold', 'unhold', 'mute', 'unmute', 'pauseRecording', 'resumeRecording', 'callControl', 'transfer', 'callRecords']) {
    await run.expect('INVALID_INPUT', `${method}()`, () => on(method)[method]())
  }
  for (const method of ['conference', 'kick', 'callRecord']) {
    const second = method === 'callRecord' ? '2020-01-01' : '9000000001'
    for (const v of VALUES) {
      await run(`${method}(${describe(v)}, ok)`, () => on(method)[method](v, second))
      await run(`${method}(ok, ${describe(v)})`, () => on(method)[method](call.ucid, v))
    }
    await run.expect('INVALID_INPUT', `${method}(ok)`, () => on(method)[method](call.ucid))
  }
  const requests = {
    callControl: [{ action: 'HOLD', ucid: call.ucid, conferenceNumber: '9000000001' }, [['action'], ['ucid']]],
    transfer: [{ ucid: '1', target: '9000000001', mode: 'warm' }, [['ucid'], ['target']]],
    abandonedCalls: [{ fromTime: '2001-01-01 00:00:00', toTime: '2001-01-01 01:00:00', campaignName: 'x' }, []],
    // A window Ozonetel refuses (too far back), so whatever else is wrong nothing is fetched.
    callRecords: [
      { from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00', ucid: '1', campaignName: 'c', monitorUcid: '1', callType: 'Inbound', status: 'Answered' },
      [['from'], ['to']],
    ],
  }
  for (const [method, [base, required]] of Object.entries(requests)) {
    for (const key of Object.keys(base)) {
      for (const v of VALUES) await run(`${method}({${key}: ${describe(v)}})`, () => on(method)[method](withField(base, [key], v)))
    }
    await shapeRules(run, method, base, required, (r) => on(method)[method](r))
  }
  for (const v of VALUES) {
    await run(`callRecords(ok, onProgress = ${describe(v)})`, () => oz.callRecords(requests.callRecords[0], v))
  }
  const watchBase = { intervalMs: 1000, includeExisting: false, campaignName: 'c' }
  for (const key of Object.keys(watchBase)) {
    for (const v of [...VALUES, 99, 86_400_001]) {
      const { result } = await run(`watchMissedCalls({${key}: ${describe(v)}})`, () => oz.watchMissedCalls(withField({}, [key], v)))
      result?.close()
    }
  }
  for (const v of VALUES) {
    const { result } = await run(`watchMissedCalls(${describe(v)})`, () => oz.watchMissedCalls(v))
    result?.close()
  }
  for (const v of BAD_INTEGERS) await run.expect('INVALID_INPUT', `intervalMs ${describe(v)}`, () => oz.watchMissedCalls({ intervalMs: v }))
  await shapeRules(run, 'watchMissedCalls', watchBase, [], (o) => oz.watchMissedCalls(o).close())
  await extraArgsIgnored(run, 'hold', (...a) => agent.hold(...a), ['123'])
  await extraArgsIgnored(run, 'pauseRecording', (...a) => oz.pauseRecording(...a), ['12a'])
  await extraArgsIgnored(run, 'callRecord', (...a) => oz.callRecord(...a), ['1', 'tomorrow'])
  run.done(1900)
})

test('the desk methods, parseEvent and callRecordFor: hostile arguments, canary passwords, missing and extra fields', async () => {
  const run = cases('desk methods')
  const oz = canaryClient({ retry: { maxAttempts: 1 }, eventsBaseUrl: sim.ozonetel })
  const agent = agentOf(oz)
  for (const v of VALUES) {
    for (const method of ['login', 'logout', 'pause', 'forceReady', 'dial', 'phoneDial']) {
      await run(`agent.${method}(${describe(v)})`, () => agent[method](v))
    }
    await run(`agent.dial(ok, ${describe(v)})`, () => agent.dial('12', v))
    await run(`agent.phoneDial(ok, ${describe(v)})`, () => agent.phoneDial('12', v))
    await run(`agent.dispose(${describe(v)}, ok)`, () => agent.dispose(v, { code: 'x' }))
    await run(`agent.dispose(ok, ${describe(v)})`, () => agent.dispose('1'.repeat(25), v))
    await run(`subscribeEvents(${describe(v)})`, () => oz.subscribeEvents(v))
    await run(`unsubscribeEvents(${describe(v)})`, () => oz.unsubscribeEvents(v))
    await run(`callRecordFor(${describe(v)})`, () => oz.callRecordFor(v))
    await run(`parseEvent(${describe(v)}, ok)`, () => OzonetelClient.parseEvent(v, '{}'))
    await run(`parseEvent(ok, ${describe(v)})`, () => OzonetelClient.parseEvent('application/json', v))
    await run(`parseEvent(form, ${describe(v)})`, () => OzonetelClient.parseEvent('application/x-www-form-urlencoded', v))
    await run(`callRecordPages(${describe(v)}, 10)`, () => oz.callRecordPages(v, 10))
    const { result } = await run(`callRecordPages(ok, ${describe(v)})`, () => oz.callRecordPages({ from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00' }, v))
    if (result) await run('pages.next()', () => result.next())
  }
  for (const s of STRINGS) {
    // Inside a JSON or form body: the parser's errors quote at most a short prefix.
    await run(`parseEvent(json body with ${describe(s)})`, () => OzonetelClient.parseEvent('application/json', JSON.stringify({ eventType: s, ucid: s })))
    await run(`parseEvent(form body with ${describe(s)})`, () => OzonetelClient.parseEvent('application/x-www-form-urlencoded', new URLSearchParams({ eventType: s, ucid: s }).toString()))
    await run(`parseEvent(bytes with ${describe(s)})`, () => OzonetelClient.parseEvent('application/json', Buffer.from(s)))
  }
  for (const method of ['login', 'logout', 'pause', 'forceReady', 'dial', 'phoneDial', 'dispose']) {
    await run.expect('INVALID_INPUT', `agent.${method}()`, () => agent[method]())
  }
  await run.expect('INVALID_INPUT', 'parseEvent()', () => OzonetelClient.parseEvent())
  await run.expect('INVALID_INPUT', 'subscribeEvents()', () => oz.subscribeEvents())
  await run.expect('INVALID_INPUT', 'unsubscribeEvents()', () => oz.unsubscribeEvents())
  await run.expect('INVALID_INPUT', 'callRecordFor()', () => oz.callRecordFor())
  await run.expect('INVALID_INPUT', 'callRecordPages()', () => oz.callRecordPages())
  // Option objects field by field; a 25-digit UCID, a 12 and a 2001 window: nothing can be sent.
  const fields = {
    dial: [['12', { uui: 'u', campaign: 'c' }], []],
    phoneDial: [['12', { callLimitSecs: 60, checkStatus: true, campaign: 'c', uui: 'u' }], []],
    dispose: [['1'.repeat(25), { code: 'x', comments: 'c', callbackAt: '2030-01-01 10:00:00', pauseAfter: 'Break', autoRelease: true }], [['code']]],
  }
  for (const [method, [[first, base], required]] of Object.entries(fields)) {
    for (const key of Object.keys(base)) {
      for (const v of VALUES) await run(`agent.${method}(ok, {${key}: ${describe(v)}})`, () => agent[method](first, withField(base, [key], v)))
    }
    await shapeRules(run, `agent.${method}`, base, required, (o) => agent[method](first, o))
  }
  for (const v of BAD_INTEGERS) await run.expect('INVALID_INPUT', `phoneDial callLimitSecs ${describe(v)}`, () => agent.phoneDial('12', { callLimitSecs: v }))
  const urls = { call: 'ftp://x', agent: 'ftp://y' }
  for (const key of Object.keys(urls)) {
    for (const v of VALUES) await run(`subscribeEvents({${key}: ${describe(v)}})`, () => oz.subscribeEvents(withField(urls, [key], v)))
  }
  await shapeRules(run, 'subscribeEvents', urls, [['call'], ['agent']], (u) => oz.subscribeEvents(u))
  // callRecordFor reads the UCID and the times; the rest of the event (parseEvent's whole
  // result) is ignored, unknown fields included.
  const event = { kind: 'call', ucid: '1'.repeat(25), sentAt: { raw: 'x' }, occurredAt: { raw: 'y' } }
  for (const p of [['kind'], ['ucid'], ['sentAt'], ['sentAt', 'raw'], ['occurredAt'], ['occurredAt', 'raw']]) {
    for (const v of VALUES) await run(`callRecordFor({${p.join('.')}: ${describe(v)}})`, () => oz.callRecordFor(withField(event, p, v)))
  }
  await shapeRules(run, 'callRecordFor', event, [['ucid'], ['sentAt'], ['occurredAt'], ['sentAt', 'raw']], (e) => oz.callRecordFor(e), { ignoresExtra: true })
  await shapeRules(run, 'callRecordPages', { from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00' }, [['from'], ['to']], (q) => oz.callRecordPages(q, 10))
  // Passwords: the canary is the real one; misspelt, padded or pasted badly it is refused
  // (INVALID_INPUT, or AUTH from Ozonetel) and never repeated.
  for (const method of ['login', 'logout', 'forceReady']) {
    for (const password of [`${CANARY.agentPassword}x`, ...secretVariants(CANARY.agentPassword)]) {
      const { error } = await run(`agent.${method}(${describe(password)})`, () => agent[method](password))
      assert.ok(error, `${method} with a wrong password fails`)
    }
  }
  assert.equal((await agent.login(CANARY.agentPassword)).outcome, 'logged_in')
  await run('agent.logout(canary)', () => agent.logout(CANARY.agentPassword))
  await extraArgsIgnored(run, 'unsubscribeEvents', (...a) => oz.unsubscribeEvents(...a), ['neither'])
  await extraArgsIgnored(run, 'parseEvent', (...a) => OzonetelClient.parseEvent(...a), ['application/json', '{}'])
  await extraArgsIgnored(run, 'dial', (...a) => agent.dial(...a), ['12', {}])
  // The methods without arguments take junk ones as they take none.
  await extraArgsIgnored(run, 'setReady', (...a) => agent.setReady(...a), [])
  await extraArgsIgnored(run, 'dispositions', (...a) => oz.dispositions(...a), [])
  await extraArgsIgnored(run, 'eventSubscriptions', (...a) => oz.eventSubscriptions(...a), [])
  run.done(2000)
})

const ASSIST_FIELDS = [
  ['deepgram'],
  ['deepgram', 'apiKey'],
  ['deepgram', 'url'],
  ['deepgram', 'model'],
  ['deepgram', 'language'],
  ['deepgram', 'interimResults'],
  ['deepgram', 'punctuate'],
  ['deepgram', 'smartFormat'],
  ['deepgram', 'endpointingMs'],
  ['deepgram', 'utteranceEndMs'],
  ['deepgram', 'vadEvents'],
  ['deepgram', 'diarize'],
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
  ['suggestions', 'model'],
  ['suggestions', 'intervalMs'],
  ['suggestions', 'minGapMs'],
  ['suggestions', 'timeoutMs'],
  ['suggestions', 'backoffInitialMs'],
  ['suggestions', 'backoffMaxMs'],
  ['suggestions', 'systemPrompt'],
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
  ['lead', 'phone'],
  ['lead', 'status'],
  ['lead', 'history'],
  ['lead', 'fields'],
  ['lead', 'notes'],
  ['timing'],
  ['timing', 'keepaliveAfterMs'],
  ['timing', 'watchdogMs'],
  ['timing', 'sendTimeoutMs'],
  ['timing', 'connectTimeoutMs'],
  ['timing', 'stopWaitMs'],
  ['reconnect'],
  ['reconnect', 'initialDelayMs'],
  ['reconnect', 'maxDelayMs'],
  ['reconnect', 'maxAttempts'],
  ['audioQueueChunks'],
  ['coalesceMs'],
  ['eventQueue'],
  ['replayBufferMs'],
  ['replaySpeed'],
]
/** Integer fields, each of which refuses every BAD_INTEGERS value. */
const ASSIST_INTEGERS = ASSIST_FIELDS.filter((p) => /Ms$|Chars$|Items$|Chunks$|Queue$|Attempts$|sampleRate|channels/.test(p.at(-1)))
/** The string fields of a config, each of which gets every STRINGS value and a canary key. */
const ASSIST_ELEMENTS = [
  ['deepgram', 'keyterms'],
  ['suggestions', 'postCall', 'dispositions'],
  ['redaction', 'keywords'],
  ['lead', 'history'],
  ['speakers'],
]

test('LiveAssist.start: hostile configs, missing and extra fields, canary keys (sessions it accepts are stopped)', async () => {
  const run = cases('LiveAssist.start')
  const started = []
  // Sessions that start are fine; they must stop cleanly too. Short timers keep it quick.
  // (No audio is sent: there is nothing to wait for at stop.)
  const quick = { timing: { stopWaitMs: 0 }, reconnect: { maxAttempts: 1, initialDelayMs: 10 } }
  const good = assistConfig(sim, { suggestions: null, ...quick })
  const withSuggestions = assistConfig(sim, quick)
  const full = assistConfig(sim, {
    deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram, model: 'nova-3', keyterms: ['x'], extraParams: { a: 'b' } },
    suggestions: { apiKey: 'sim-openai-key', baseUrl: sim.openai, postCall: { timeoutMs: 100, dispositions: ['A'] } },
    redaction: { enabled: true, keywords: ['IP number'] },
    lead: { name: 'A', history: ['h'], fields: [['a', 'b']] },
    timing: { stopWaitMs: 0, watchdogMs: 10_000 },
    reconnect: { maxAttempts: 1, initialDelayMs: 10 },
  })
  const start = async (label, config, onEvent) => {
    const outcome = await run(label, () => LiveAssist.start(config, onEvent))
    if (outcome.result) started.push(outcome.result)
    return outcome
  }
  const stopAll = async () => {
    while (started.length) await run('stop()', () => started.pop().stop())
  }
  for (const v of VALUES) {
    await start(`start(${describe(v)})`, v)
    await start(`start(ok, onEvent = ${describe(v)})`, good, v)
  }
  await stopAll()
  for (const p of ASSIST_FIELDS) {
    const base = p[0] === 'suggestions' && p.length > 1 ? withSuggestions : good
    for (const v of VALUES) await start(`config.${p.join('.')} = ${describe(v)}`, withField(base, p, v))
    await stopAll()
  }
  for (const p of ASSIST_ELEMENTS) {
    const base = p[0] === 'suggestions' ? withSuggestions : good
    for (const v of [...STRINGS, ...VALUES.filter((x) => typeof x !== 'string').slice(0, 12)]) {
      await start(`config.${p.join('.')} = [${describe(v)}]`, withField(base, p, [v]))
    }
    await stopAll()
  }
  for (const v of STRINGS) {
    await start(`config.deepgram.extraParams = { k: ${describe(v)} }`, withField(good, ['deepgram', 'extraParams'], { k: v }))
    await start(`config.deepgram.extraParams = { ${describe(v)}: 'v' }`, withField(good, ['deepgram', 'extraParams'], { [v]: 'v' }))
    await start(`config.lead.fields = [[${describe(v)}, ${describe(v)}]]`, withField(good, ['lead', 'fields'], [[v, v]]))
    await stopAll()
  }
  for (const p of ASSIST_INTEGERS) {
    const base = p[0] === 'suggestions' ? withSuggestions : good
    for (const v of BAD_INTEGERS) await run.expect('INVALID_INPUT', `${p.join('.')} = ${describe(v)}`, () => LiveAssist.start(withField(base, p, v)))
  }
  // Issue #9's panics: huge queue sizes were a "Panic in async function" (GenericFailure).
  for (const [p, v] of [
    [['eventQueue'], 2 ** 64],
    [['eventQueue'], 1e300],
    [['audioQueueChunks'], 2 ** 64],
    [['audioQueueChunks'], 1e300],
    [['eventQueue'], Number.MAX_SAFE_INTEGER],
    [['audioQueueChunks'], NaN],
    [['replaySpeed'], NaN],
    [['replaySpeed'], Infinity],
    [['replaySpeed'], 1e308],
    [['replayBufferMs'], 2 ** 53],
    // Outside 0 (off) and 20..=250: the message says so.
    [['coalesceMs'], 10],
    [['coalesceMs'], 251],
    [['timing', 'watchdogMs'], Number.MAX_SAFE_INTEGER],
    [['reconnect', 'maxDelayMs'], 1e300],
    [['suggestions', 'timeoutMs'], 2 ** 64],
  ]) {
    const base = p[0] === 'suggestions' ? withSuggestions : good
    await run.expect('INVALID_INPUT', `${p.join('.')} = ${v}`, () => LiveAssist.start(withField(base, p, v)))
  }
  await run.expect('INVALID_INPUT', 'start()', () => LiveAssist.start())
  await shapeRules(
    run,
    'config',
    full,
    [['deepgram'], ['deepgram', 'apiKey'], ['suggestions', 'apiKey']],
    async (c) => {
      const assist = await LiveAssist.start(c)
      await assist.stop()
    },
  )
  await run.expect('INVALID_INPUT', 'audio without encoding', () => LiveAssist.start({ ...good, audio: { sampleRate: 16000, channels: 2 } }), ['encoding'])
  // Keys pasted badly are refused before anything is sent, and never repeated; a
  // well-formed wrong Deepgram key is Deepgram's AUTH refusal, without the key.
  for (const key of secretVariants(CANARY.deepgramKey)) {
    await run.expect('INVALID_INPUT', `deepgram.apiKey = ${describe(key)}`, () => LiveAssist.start(withField(good, ['deepgram', 'apiKey'], key)))
  }
  for (const key of secretVariants(CANARY.openaiKey)) {
    await run.expect('INVALID_INPUT', `suggestions.apiKey = ${describe(key)}`, () => LiveAssist.start(withField(withSuggestions, ['suggestions', 'apiKey'], key)))
  }
  const refused = await run.expect('AUTH', 'deepgram.apiKey = canary', () => LiveAssist.start(withField(good, ['deepgram', 'apiKey'], CANARY.deepgramKey)))
  assert.equal(refused.service, 'deepgram')
  // A wrong OpenAI key fails the suggestion requests (events), never the session: no event,
  // summary or post-call error repeats it.
  const events = []
  const assist = await LiveAssist.start(
    assistConfig(sim, { ...quick, suggestions: { apiKey: CANARY.openaiKey, baseUrl: sim.openai, intervalMs: 200, minGapMs: 0, postCall: { timeoutMs: 2000 } } }),
    (e) => events.push(e),
  )
  for (const frame of frames(3)) assist.sendAudio(frame)
  const summary = await assist.stop()
  const printed = JSON.stringify({ events, summary })
  assert.ok(!LEAK.test(printed), `the OpenAI key in an event or the summary: ${printed.match(/.{0,80}canary.{0,80}/i)}`)
  assert.equal(started.length, 0)
  run.done(4000)
})

test('a live session, redact() and updateLead: hostile arguments, missing and extra fields', async () => {
  const run = cases('LiveAssist methods and redact')
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null, timing: { stopWaitMs: 200 } }), () => {})
  const lead = { name: 'A', phone: '9876543210', status: 's', history: ['h'], fields: [['a', 'b']], notes: 'n' }
  for (const v of VALUES) {
    await run(`sendAudio(${describe(v)})`, () => assist.sendAudio(v))
    await run(`setOnHold(${describe(v)})`, () => assist.setOnHold(v))
    await run(`setPrivate(${describe(v)})`, () => assist.setPrivate(v))
    await run(`redact(${describe(v)})`, () => redact(v))
    await run(`redact('x', ${describe(v)})`, () => redact('x', v))
    await run(`redact('x', { keywords: ${describe(v)} })`, () => redact('x', { keywords: v }))
    await run(`redact('x', { keywords: [${describe(v)}] })`, () => redact('x', { keywords: [v] }))
    await run(`redact('x', { leadPhone: ${describe(v)} })`, () => redact('x', { leadPhone: v }))
    await run(`updateLead(${describe(v)})`, () => assist.updateLead(v))
    for (const field of Object.keys(lead)) {
      await run(`updateLead({${field}: ${describe(v)}})`, () => assist.updateLead({ [field]: v }))
    }
    await run(`updateLead({history: [${describe(v)}]})`, () => assist.updateLead({ history: [v] }))
    await run(`updateLead({fields: [[${describe(v)}, 'v']]})`, () => assist.updateLead({ fields: [[v, 'v']] }))
    await run(`finalize(${describe(v)})`, () => assist.finalize(v))
    await run(`metrics(${describe(v)})`, () => assist.metrics(v))
  }
  // (A 10 MB text is redacted above; once is enough at a debug build's pace.)
  for (const s of STRINGS.filter((x) => x !== huge)) {
    const { result } = await run(`redact(${describe(s)} + a card)`, () => redact(`${s} card 4111 1111 1111 1111 ${s}`))
    assert.ok(!result.text.includes('4111 1111 1111 1111'), `the card is redacted beside ${describe(s)}`)
  }
  for (const method of ['sendAudio', 'setOnHold', 'setPrivate', 'updateLead']) {
    await run.expect('INVALID_INPUT', `${method}()`, () => assist[method]())
  }
  await run.expect('INVALID_INPUT', 'redact()', () => redact())
  await shapeRules(run, 'redact options', { keywords: ['IP number'], leadPhone: '9876543210' }, [], (o) => redact('x', o))
  await shapeRules(run, 'updateLead', lead, [], (l) => assist.updateLead(l))
  await extraArgsIgnored(run, 'redact', (...a) => redact(...a), ['card 4111 1111 1111 1111', {}])
  await extraArgsIgnored(run, 'setOnHold', (...a) => assist.setOnHold(...a), [false])
  await extraArgsIgnored(run, 'sendAudio', (...a) => assist.sendAudio(...a), [Buffer.alloc(0)])
  await assist.setOnHold(false)
  await assist.setPrivate(false)
  const summary = await assist.stop()
  assert.equal(typeof summary.metrics.eventsDropped, 'number')
  run.done(950)
})

test('after stop, close, return or complete: every method is CLOSED or done, at once', async () => {
  const run = cases('after close')
  const done = async (label, fn) => {
    const { error, result } = await run(label, fn)
    assert.equal(error, undefined, `${label}: ${error?.message}`)
    assert.deepEqual(result, { value: undefined, done: true }, label)
  }
  const closed = (label, fn) => run.expect('CLOSED', label, fn)
  const junk = [undefined, null, 'x', huge, NaN, -1, 10n, {}, [], throwingProxy]

  // LiveAssist: every method after stop() is CLOSED (arguments are converted first, so a bad
  // one is INVALID_INPUT); its iterators are done. Once from the callback's side too.
  for (const withCallback of [false, true]) {
    const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null, timing: { stopWaitMs: 200 } }), withCallback ? () => {} : undefined)
    const iterator = assist.events()
    await assist.stop()
    const calls = {
      sendAudio: () => assist.sendAudio(Buffer.alloc(640)),
      setOnHold: () => assist.setOnHold(true),
      setPrivate: () => assist.setPrivate(true),
      updateLead: () => assist.updateLead({ name: 'A' }),
      finalize: () => assist.finalize(),
      metrics: () => assist.metrics(),
      stop: () => assist.stop(),
    }
    for (const [method, call] of Object.entries(calls)) {
      await closed(`after stop: ${method}()`, call)
      await closed(`after stop: ${method}() again`, call)
    }
    for (const v of junk) {
      for (const method of ['sendAudio', 'setOnHold', 'setPrivate', 'updateLead', 'finalize', 'metrics', 'stop']) {
        const { error } = await run(`after stop: ${method}(${describe(v)})`, () => assist[method](v))
        assert.ok(['CLOSED', 'INVALID_INPUT'].includes(error?.code), `after stop: ${method}(${describe(v)}): ${error?.code}`)
      }
    }
    // An iterator opened before stop() drains what was queued, then is done.
    for (let i = 0; i < 10_000; i++) {
      const { result } = await run('after stop: drain events()', () => iterator.next())
      if (result.done) break
    }
    await done('after stop: events().next() once drained', () => iterator.next())
    await done('after stop: a new events().next()', () => assist.events().next())
    await done('after stop: [Symbol.asyncIterator]().next()', () => assist[Symbol.asyncIterator]().next())
    await done('after stop: events().return()', () => assist.events().return())
  }

  // AssistEvents after return(): done, whatever is called on it, however often.
  const live = await LiveAssist.start(assistConfig(sim, { suggestions: null, timing: { stopWaitMs: 200 } }))
  const events = live.events()
  await done('events.return()', () => events.return())
  for (let i = 0; i < 3; i++) {
    await done(`after return: events.next() #${i}`, () => events.next())
    await done(`after return: events.return() #${i}`, () => events.return())
  }
  const pending = events.next()
  await live.stop()
  await done('after return and stop: a pending next()', () => pending)

  // MissedCallWatcher after close() or return().
  const oz = canaryClient({ retry: { maxAttempts: 1 } })
  for (const how of ['close', 'return']) {
    const watcher = oz.watchMissedCalls({ intervalMs: 100 })
    const first = watcher.next()
    if (how === 'close') watcher.close()
    else await done('watcher.return()', () => watcher.return())
    await run(`after ${how}: the next() pending at ${how}`, () => first)
    for (let i = 0; i < 3; i++) {
      await done(`after ${how}: watcher.next() #${i}`, () => watcher.next())
      await done(`after ${how}: watcher.return() #${i}`, () => watcher.return())
      const { error } = await run(`after ${how}: watcher.close() #${i}`, () => watcher.close())
      assert.equal(error, undefined)
    }
    await done(`after ${how}: [Symbol.asyncIterator]().next()`, () => watcher[Symbol.asyncIterator]().next())
  }

  // CallRecordPages after return() (nothing is ever sent), and after an error ended it.
  const window = { from: '2001-01-01 00:00:00', to: '2001-01-01 01:00:00' }
  const pages = oz.callRecordPages(window, 10)
  await done('pages.return()', () => pages.return())
  for (let i = 0; i < 3; i++) {
    await done(`after return: pages.next() #${i}`, () => pages.next())
    await done(`after return: pages.return() #${i}`, () => pages.return())
  }
  const failed = oz.callRecordPages(window, 10)
  await run.expect('INVALID_INPUT', 'pages.next() on a window Ozonetel refuses', () => failed.next())
  await done('after an error: pages.next()', () => failed.next())
  await done('after an error: pages.return()', () => failed.return())

  // Transfer: complete() or cancel() once; either after that is CLOSED, the getters still read.
  const agent = agentOf(oz)
  for (const finish of ['complete', 'cancel']) {
    const call = await sim.seedCall()
    const transfer = await agent.transfer({ ucid: call.ucid, target: '9000000007', mode: 'warm' })
    const { error } = await run(`transfer.${finish}()`, () => transfer[finish]())
    assert.equal(error, undefined, error?.message)
    for (const again of ['complete', 'cancel', 'complete']) {
      await closed(`after ${finish}: transfer.${again}()`, () => transfer[again]())
      await closed(`after ${finish}: transfer.${again}(junk)`, () => transfer[again](huge, throwingProxy))
    }
    assert.equal(transfer.state, finish === 'complete' ? 'completed' : 'cancelled')
    assert.equal(transfer.ucid, call.ucid)
  }
  run.done(200)
})

test('SidecarRegistry: hostile arguments, canary Redis passwords, extra fields', async () => {
  const run = cases('SidecarRegistry')
  const redisUrl = process.env.HELIX_TEST_REDIS_URL
  // Accounts are judged against a Redis that answers (when there is one): an accepted account
  // connects at once instead of waiting out the retries of an unreachable one.
  const reachable = redisUrl ?? 'redis://127.0.0.1:1/'
  for (const v of VALUES) {
    await run(`SidecarRegistry.connect(${describe(v)}, ok)`, () => SidecarRegistry.connect(v, reachable))
    await run(`SidecarRegistry.connect(ok, ${describe(v)})`, () => SidecarRegistry.connect('acme', v))
    await run(`SidecarRegistry.connect(ok, ok, ${describe(v)})`, () => SidecarRegistry.connect('', 'redis://127.0.0.1:1/', v))
    await run(`SidecarRegistry.connect(ok, ok, {prefix: ${describe(v)}})`, () => SidecarRegistry.connect('', 'redis://127.0.0.1:1/', { prefix: v }))
  }
  await run.expect('INVALID_INPUT', 'SidecarRegistry.connect()', () => SidecarRegistry.connect())
  await run.expect('INVALID_INPUT', 'SidecarRegistry.connect(ok)', () => SidecarRegistry.connect('acme'))
  await shapeRules(run, 'SidecarRegistry options', { prefix: 'p:' }, [], (o) => SidecarRegistry.connect('', 'redis://127.0.0.1:1/', o))
  // A Redis password is never repeated: not for a bad URL, not for one that cannot be reached.
  for (const url of [...BAD_REDIS_URLS, ...(redisUrl ? [WRONG_PASSWORD_REDIS] : [])]) {
    const { error } = await run(`SidecarRegistry.connect(ok, ${describe(url)})`, () => SidecarRegistry.connect('acme', url))
    assert.ok(['INVALID_INPUT', 'TRANSPORT'].includes(error?.code), `${describe(url)}: ${error?.code}`)
  }
  // The methods need a live registry: on the suite's Redis (scripts/test.sh), under a prefix of their own.
  if (redisUrl) {
    const registry = await SidecarRegistry.connect('acme', redisUrl, { prefix: `helix-node-hostile:${process.pid}:${Date.now()}:` })
    const url = 'http://10.0.0.7:3000/ozonetel/events'
    for (const v of VALUES) {
      const d = describe(v)
      await run(`register(${d}, ok, ok, ok)`, () => registry.register(v, url, ['asha'], 30_000))
      await run(`register(ok, ${d}, ok, ok)`, () => registry.register('s1', v, ['asha'], 30_000))
      await run(`register(ok, ok, ${d}, ok)`, () => registry.register('s1', url, v, 30_000))
      await run(`register(ok, ok, [${d}], ok)`, () => registry.register('s1', url, [v], 30_000))
      await run(`register(ok, ok, ok, ${d})`, () => registry.register('s1', url, ['asha'], v))
      await run(`heartbeat(${d}, ok)`, () => registry.heartbeat(v, 30_000))
      await run(`heartbeat(ok, ${d})`, () => registry.heartbeat('s1', v))
      await run(`deregister(${d})`, () => registry.deregister(v))
      await run(`lookup(${d})`, () => registry.lookup(v))
    }
    for (const v of BAD_INTEGERS) {
      await run.expect('INVALID_INPUT', `register ttlMs ${describe(v)}`, () => registry.register('s1', url, ['asha'], v))
      await run.expect('INVALID_INPUT', `heartbeat ttlMs ${describe(v)}`, () => registry.heartbeat('s1', v))
    }
    for (const userinfo of [`:${CANARY.redisPassword}@`, `u:${CANARY.redisPassword}@`]) {
      await run.expect('INVALID_INPUT', 'register(url with a password)', () => registry.register('s1', `http://${userinfo}10.0.0.7/`, ['asha'], 30_000))
    }
    await run.expect('INVALID_INPUT', 'register(ok, ok, ok)', () => registry.register('s1', url, ['asha']))
    await run.expect('INVALID_INPUT', 'heartbeat(ok)', () => registry.heartbeat('s1'))
    await run.expect('INVALID_INPUT', 'lookup()', () => registry.lookup())
    await run.expect('INVALID_INPUT', 'deregister()', () => registry.deregister())
    await extraArgsIgnored(run, 'lookup', (...a) => registry.lookup(...a), ['asha'])
    await extraArgsIgnored(run, 'sidecars', (...a) => registry.sidecars(...a), [])
    run.done(650)
  } else {
    run.done(200)
  }
})

test('the table was big enough to mean something, nothing leaked the live token, and the process is still here', async () => {
  console.log('hostile cases: total', total)
  assert.ok(total > 11_000, `${total} cases`)
  const { current_token: currentToken } = await sim.tokens('acme')
  assert.ok(currentToken, 'the suite made Ozonetel issue a token')
  for (const text of everyErrorText) assert.ok(!text.includes(currentToken), `the token in an error: ${text.slice(0, 300)}`)
  assert.ok(process.memoryUsage().rss > 0)
})
