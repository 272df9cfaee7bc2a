'use strict'
// Sidecar replicas on one account share one token through Redis (`accountStore.redisUrl`).
// scripts/test.sh starts redis-server and sets HELIX_TEST_REDIS_URL.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const { OzonetelClient } = require('../index.js')
const { startSim, clientOptions, agentOf } = require('./helpers/sim.js')

const redisUrl = process.env.HELIX_TEST_REDIS_URL
if (!redisUrl && process.env.CI) throw new Error('HELIX_TEST_REDIS_URL is not set: run scripts/test.sh')
const skip = redisUrl ? false : 'no Redis (HELIX_TEST_REDIS_URL); scripts/test.sh starts one'

let sim
before(async () => {
  sim = await startSim()
})
after(() => sim.stop())

function run(script, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, out }))
  })
}

test('three replica processes on one account generate one token between them', { skip }, async () => {
  const call = await sim.seedCall()
  const before = (await sim.tokens()).generations_total
  const prefix = `helix-node-test:${process.pid}:${Date.now()}:`
  const script = path.join(__dirname, 'helpers', 'redis-call.js')
  const env = { SIM_URLS: JSON.stringify(sim), UCID: call.ucid, REDIS_URL: redisUrl, PREFIX: prefix }
  const runs = await Promise.all([run(script, env), run(script, env), run(script, env)])
  for (const { code, out } of runs) {
    assert.equal(code, 0, out)
    assert.match(out, /holds=10/)
  }
  assert.equal((await sim.tokens()).generations_total - before, 1)
})

test('a malformed Redis URL is INVALID_INPUT at construction; a Redis that is down is TRANSPORT', async () => {
  assert.throws(
    () => new OzonetelClient(clientOptions(sim, { accountStore: { redisUrl: 'not a url' } })),
    (e) => e instanceof TypeError && e.code === 'INVALID_INPUT' && /Redis URL/.test(e.message),
  )
  assert.throws(
    () => new OzonetelClient(clientOptions(sim, { accountStore: { redisUrl: 'redis://x', ttl: 5 } })),
    (e) => e.code === 'INVALID_INPUT' && /ttl/.test(e.message),
  )
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port
      srv.close(() => resolve(p))
    })
  })
  const call = await sim.seedCall()
  const oz = new OzonetelClient(clientOptions(sim, { accountStore: { redisUrl: `redis://127.0.0.1:${port}/` } }))
  await assert.rejects(agentOf(oz).hold(call.ucid), (e) => e.code === 'TRANSPORT' && /Redis/.test(e.message))
})

test('clients in one process naming the same Redis store share the account; another store on it is refused', { skip }, async () => {
  await sim.control('POST', '/accounts', { userName: 'umbrella', apiKey: 'umbrella-key' })
  const prefix = `helix-node-test:${process.pid}:${Date.now()}:same:`
  const options = clientOptions(sim, { userName: 'umbrella', apiKey: 'umbrella-key', accountStore: { redisUrl, prefix } })
  const before = (await sim.tokens('umbrella')).generations_total
  const a = new OzonetelClient(options)
  const b = new OzonetelClient(options)
  const c = new OzonetelClient({ ...options, accountStore: undefined }) // no store: joins the account as it is
  const call = await sim.seedCall({ account: 'umbrella' })
  await Promise.all([a, b, c].map((oz) => agentOf(oz).hold(call.ucid)))
  assert.equal((await sim.tokens('umbrella')).generations_total - before, 1)
  assert.throws(
    () => new OzonetelClient({ ...options, accountStore: { redisUrl, prefix: `${prefix}other:` } }),
    (e) => e.code === 'INVALID_INPUT' && /already in use/.test(e.message),
  )
})
