'use strict'
// Event delivery to slow and throwing handlers: stop() resolves after every event, `closed`
// last, was delivered; what could not wait is dropped and counted in the summary; nothing
// arrives after stop(). A throwing onEvent is an uncaught exception, and the session still
// closes.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { setImmediate: tick, setTimeout: sleep } = require('node:timers/promises')
const { LiveAssist } = require('../index.js')
const { startSim, assistConfig, frames, BOOKING_CALL } = require('./helpers/sim.js')

let sim
before(async () => {
  sim = await startSim()
  await sim.setScript(BOOKING_CALL)
})
after(() => sim.stop())

/** Runs one call through `handler`; returns what it saw before and after stop() resolved. */
async function call(handler, extra = {}) {
  const seen = []
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null, ...extra }), (event) => {
    seen.push(event)
    handler(event)
  })
  for (const frame of frames(10)) assist.sendAudio(frame)
  const summary = await assist.stop()
  const atStop = seen.length
  // Anything still in flight would land within a few turns of the event loop.
  for (let i = 0; i < 5; i++) await tick()
  await sleep(300)
  return { seen, atStop, summary }
}

function busyWait(ms) {
  const end = Date.now() + ms
  while (Date.now() < end) {}
}

test('a slow handler gets every event it can, closed last, before stop() resolves; the rest are counted', async () => {
  const fast = await call(() => {})
  const all = fast.seen.filter((e) => e.type !== 'closed').length
  assert.equal(fast.summary.metrics.eventsDropped, 0)
  assert.ok(all > 10, `the call produces events (${all})`)

  // 200 ms per event and a queue of 4: the core cannot wait for the host, so it drops events
  // while the handler is busy — and says how many.
  const slow = await call(() => busyWait(200), { eventQueue: 4 })
  assert.equal(slow.seen.length, slow.atStop, 'no event after stop() resolved')
  assert.equal(slow.seen.at(-1).type, 'closed', 'closed is delivered, last, before stop() resolves')
  assert.equal(slow.seen.filter((e) => e.type === 'closed').length, 1)
  const delivered = slow.seen.length - 1
  const dropped = slow.summary.metrics.eventsDropped
  assert.ok(dropped > 0, 'a queue of 4 behind a 200 ms handler drops')
  assert.equal(delivered + dropped, all, `${delivered} delivered + ${dropped} dropped = ${all} emitted`)
  assert.equal(slow.seen.at(-1).metrics.eventsDropped, dropped, 'the closed event says the same')
  // The transcript never depends on the handler keeping up.
  assert.deepEqual(
    slow.summary.transcript.segments.map((s) => s.text),
    fast.summary.transcript.segments.map((s) => s.text),
  )
})

test('a slow handler with room in the queue gets everything before stop() resolves', async () => {
  const fast = await call(() => {})
  // 400 ms per event: ~7 s in all, longer than the 5 s stop() used to wait before it cut
  // delivery short (and let events arrive after it resolved).
  const slow = await call(() => busyWait(400))
  assert.equal(slow.summary.metrics.eventsDropped, 0)
  assert.equal(slow.seen.length, slow.atStop, 'no event after stop() resolved')
  assert.deepEqual(
    slow.seen.map((e) => e.type),
    fast.seen.map((e) => e.type),
  )
})

/** Runs helpers/throwing-handler.js; resolves with its exit code and output. */
function runThrowingHost(env) {
  const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'throwing-handler.js')], {
    env: { ...process.env, SIM_URLS: JSON.stringify(sim), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child still running after 30 s (a leaked session keeps it alive?); ${out} ${err}`))
    }, 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}

test('a throwing onEvent is an uncaught exception: unhandled, it ends the process like an EventEmitter', async () => {
  const { code, out, err } = await runThrowingHost({})
  assert.notEqual(code, 0)
  assert.match(err, /handler bug on \w+/)
  assert.equal(out, '', 'the host never got past the throw')
})

test('a throwing onEvent, caught by uncaughtException: every event still arrives, the session closes, the process exits', async () => {
  const { code, out, err } = await runThrowingHost({ HANDLED: '1' })
  assert.equal(code, 0, err)
  const report = JSON.parse(out)
  assert.equal(report.last, 'closed')
  assert.equal(report.uncaught, report.delivered, 'one uncaught exception per event')
  assert.equal(report.complete, true)
})
