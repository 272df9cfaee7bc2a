'use strict'
// The sidecar registry a sidecar registers its agents in, for `helix events dispatch`.
// scripts/test.sh starts redis-server and sets HELIX_TEST_REDIS_URL.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const { setTimeout: sleep } = require('node:timers/promises')
const { SidecarRegistry } = require('../index.js')

const redisUrl = process.env.HELIX_TEST_REDIS_URL
if (!redisUrl && process.env.CI) throw new Error('HELIX_TEST_REDIS_URL is not set: run scripts/test.sh')
const skip = redisUrl ? false : 'no Redis (HELIX_TEST_REDIS_URL); scripts/test.sh starts one'

let n = 0
/** A registry on a prefix of its own, so tests (and runs) never see each other's sidecars. */
function connect(account = 'acme') {
  n += 1
  return SidecarRegistry.connect(account, redisUrl, { prefix: `helix-node-routing:${process.pid}:${Date.now()}:${n}:` })
}

const invalid = (pattern) => (e) => e instanceof TypeError && e.code === 'INVALID_INPUT' && pattern.test(e.message)

test('a registered sidecar is looked up and listed; deregistering removes its agents at once', { skip }, async () => {
  const registry = await connect()
  assert.equal(registry.account, 'acme')
  const r = await registry.register('whitefield-1', 'http://10.0.0.7:3000/ozonetel/events', ['asha', 'ravi', 'asha'], 30_000)
  assert.deepEqual(r, { displaced: [] })
  assert.deepEqual(await registry.lookup('asha'), { sidecarId: 'whitefield-1', url: 'http://10.0.0.7:3000/ozonetel/events' })
  assert.equal(await registry.lookup('nobody'), null)
  const [entry, ...rest] = await registry.sidecars()
  assert.deepEqual(rest, [])
  assert.equal(entry.sidecarId, 'whitefield-1')
  assert.equal(entry.url, 'http://10.0.0.7:3000/ozonetel/events')
  assert.deepEqual(entry.agentIds, ['asha', 'ravi'])
  assert.ok(entry.expiresInMs > 25_000 && entry.expiresInMs <= 30_000, `expiresInMs ${entry.expiresInMs}`)
  assert.equal(await registry.deregister('whitefield-1'), true)
  assert.equal(await registry.lookup('asha'), null)
  assert.deepEqual(await registry.sidecars(), [])
  assert.equal(await registry.deregister('whitefield-1'), false)
})

test('a registration expires at its TTL unless heartbeats keep it alive', { skip }, async () => {
  const registry = await connect()
  await registry.register('kept', 'http://10.0.0.7:3000/ozonetel/events', ['asha'], 1_000)
  await registry.register('dead', 'http://10.0.0.8:3000/ozonetel/events', ['ravi'], 1_000)
  for (let i = 0; i < 4; i++) {
    await sleep(400)
    assert.deepEqual(await registry.heartbeat('kept', 1_000), ['asha'])
  }
  // 1.6 s after registering: the sidecar that stopped heartbeating is gone, the other is not.
  assert.equal(await registry.lookup('ravi'), null)
  assert.equal(await registry.heartbeat('dead', 1_000), null)
  assert.equal((await registry.lookup('asha')).sidecarId, 'kept')
  assert.deepEqual((await registry.sidecars()).map((s) => s.sidecarId), ['kept'])
})

test('the latest registration of an agent wins; both sidecars are told', { skip }, async () => {
  const registry = await connect()
  await registry.register('old', 'http://10.0.0.7:3000/ozonetel/events', ['asha', 'ravi'], 30_000)
  const r = await registry.register('new', 'http://10.0.0.8:3000/ozonetel/events', ['ravi', 'meera'], 30_000)
  assert.deepEqual(r, { displaced: [{ agentId: 'ravi', fromSidecarId: 'old' }] })
  assert.equal((await registry.lookup('ravi')).sidecarId, 'new')
  assert.deepEqual(await registry.heartbeat('old', 30_000), ['asha'])
})

test('two accounts on one Redis and prefix never see each other', { skip }, async () => {
  const prefix = `helix-node-routing:${process.pid}:${Date.now()}:accounts:`
  const acme = await SidecarRegistry.connect('acme', redisUrl, { prefix })
  const umbrella = await SidecarRegistry.connect('umbrella', redisUrl, { prefix })
  await acme.register('s1', 'http://10.0.0.7:3000/ozonetel/events', ['asha'], 30_000)
  assert.equal(await umbrella.lookup('asha'), null)
  assert.deepEqual(await umbrella.sidecars(), [])
})

test('bad input is INVALID_INPUT naming the argument, before anything is stored', { skip }, async () => {
  const registry = await connect()
  const url = 'http://10.0.0.7:3000/ozonetel/events'
  await assert.rejects(registry.register('', url, ['asha'], 30_000), invalid(/sidecar_id is empty/))
  await assert.rejects(registry.register(5, url, ['asha'], 30_000), invalid(/sidecarId must be a string/))
  await assert.rejects(registry.register('s1', 'ftp://x/', ['asha'], 30_000), invalid(/url .*http\(s\)/))
  await assert.rejects(registry.register('s1', 'http://u:hunter2@x/', ['asha'], 30_000), (e) => {
    return invalid(/user:password@/)(e) && !e.message.includes('hunter2')
  })
  await assert.rejects(registry.register('s1', url, 'asha', 30_000), invalid(/agentIds must be an array, got a string/))
  await assert.rejects(registry.register('s1', url, ['asha', 7], 30_000), invalid(/agentIds\[1\]: .*expected a string/))
  await assert.rejects(registry.register('s1', url, [' asha'], 30_000), invalid(/agent_ids\[0\].*whitespace/))
  await assert.rejects(registry.register('s1', url, ['asha'], 500), invalid(/ttl of 500 ms/))
  await assert.rejects(registry.register('s1', url, ['asha'], 1.5), invalid(/ttlMs must be a whole number/))
  await assert.rejects(registry.register('s1', url, ['asha'], '30000'), invalid(/ttlMs must be a number/))
  await assert.rejects(registry.heartbeat('s1', 7_200_000), invalid(/ttl of 7200000 ms/))
  await assert.rejects(registry.lookup(''), invalid(/agent_id is empty/))
  await assert.rejects(registry.deregister(null), invalid(/sidecarId must be a string/))
  assert.deepEqual(await registry.sidecars(), [])
  await assert.rejects(SidecarRegistry.connect('', redisUrl), invalid(/account is empty/))
  await assert.rejects(SidecarRegistry.connect('acme', redisUrl, { prefx: 'x' }), invalid(/unknown field `prefx`/))
})

test('a malformed Redis URL is INVALID_INPUT and a Redis that is down TRANSPORT; neither echoes the password', async () => {
  await assert.rejects(SidecarRegistry.connect('acme', 'not a url :hunter2@'), (e) => {
    return invalid(/Redis URL/)(e) && !e.message.includes('hunter2')
  })
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port
      srv.close(() => resolve(p))
    })
  })
  await assert.rejects(SidecarRegistry.connect('acme', `redis://:hunter2@127.0.0.1:${port}/`), (e) => {
    return e.code === 'TRANSPORT' && !e.message.includes('hunter2') && !String(e.stack).includes('hunter2')
  })
})

test('a wrong Redis password is refused without echoing it', { skip }, async () => {
  const withPassword = redisUrl.replace('redis://', 'redis://:hunter2@')
  await assert.rejects(SidecarRegistry.connect('acme', withPassword), (e) => {
    return typeof e.code === 'string' && !e.message.includes('hunter2')
  })
})
