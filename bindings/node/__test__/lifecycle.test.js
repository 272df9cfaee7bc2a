'use strict'
// Lifetimes: the process exits by itself after stop(); the module works inside worker_threads
// (several at once, and the main thread keeps working after they exit).
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { OzonetelClient } = require('../index.js')
const { startSim, clientOptions, agentOf } = require('./helpers/sim.js')

let sim
before(async () => {
  sim = await startSim()
})
after(() => sim.stop())

const script = path.join(__dirname, 'helpers', 'one-call.js')

test('after stop() the process exits by itself, with no process.exit()', async () => {
  const call = await sim.seedCall()
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, SIM_URLS: JSON.stringify(sim), UCID: call.ucid },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const started = Date.now()
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child still running after 20 s; printed: ${out}`))
    }, 20_000)
    child.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  assert.equal(code, 0, out)
  assert.match(out, /finals=\d+ suggestions=\d+ hold=Success watcher=done/)
  assert.ok(Date.now() - started < 20_000)
})

test('works inside worker_threads, several at once; the main thread carries on', async () => {
  const calls = await Promise.all([sim.seedCall(), sim.seedCall(), sim.seedCall()])
  const results = await Promise.all(
    calls.map(
      (call) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(script, {
            env: { ...process.env, SIM_URLS: JSON.stringify(sim), UCID: call.ucid },
            stdout: true,
          })
          let out = ''
          worker.stdout.on('data', (d) => (out += d))
          worker.on('error', reject)
          worker.on('exit', (code) => resolve({ code, out }))
        }),
    ),
  )
  for (const { code, out } of results) {
    assert.equal(code, 0, out)
    assert.match(out, /hold=Success/)
  }
  const oz = new OzonetelClient(clientOptions(sim))
  assert.equal((await agentOf(oz).unhold(calls[0].ucid)).status, 'Success')
})
