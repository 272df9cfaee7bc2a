'use strict'
// Agents are explicit and the account is the unit of sharing: `client.agent(ref)` is the only
// way to act as an agent (no default, no environment), two accounts in one process never share
// a token, and every client of one account — however its base URL is spelled — shares one.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { OzonetelClient, OzonetelAgent } = require('../index.js')
const { startSim, clientOptions, AGENT, agentOf } = require('./helpers/sim.js')

let sim
before(async () => {
  sim = await startSim()
})
after(() => sim.stop())

const isInvalid = (e) => e instanceof TypeError && e.code === 'INVALID_INPUT'
const party = (call, role) => call.participants.find((p) => p.role === role)
const generations = async (user = 'acme') => (await sim.tokens(user)).generations_total

test('client.agent makes an OzonetelAgent with the fields it was given, checked and trimmed', () => {
  const oz = new OzonetelClient(clientOptions(sim))
  const agent = oz.agent({ id: ' agent1 ', phoneName: 'agent1', campaign: 'Inbound_918041763265', did: '918041763265' })
  assert.ok(agent instanceof OzonetelAgent)
  assert.equal(agent.id, 'agent1')
  assert.equal(agent.phoneName, 'agent1')
  assert.equal(agent.campaign, 'Inbound_918041763265')
  assert.equal(agent.did, '918041763265')
  // The agent's number is personal data: used on the wire, never exposed as a property.
  assert.equal(agentOf(oz).number, undefined)
  const bare = oz.agent({ id: 'agent2' })
  assert.equal(bare.phoneName, null)
  assert.equal(bare.did, null)
  assert.equal(typeof OzonetelClient.prototype.hold, 'undefined', 'call control is an agent method only')
  assert.equal(typeof OzonetelClient.prototype.transfer, 'undefined')
})

test('no agent, a bad agent ref or a bad field: INVALID_INPUT naming it, nothing sent', async () => {
  const oz = new OzonetelClient(clientOptions(sim))
  const before = (await sim.requests()).length
  for (const ref of [undefined, null, 'agent1', 42, [], {}, { phoneName: 'agent1' }, { id: 7 }, { id: '' }, { id: '   ' }]) {
    assert.throws(() => oz.agent(ref), isInvalid, JSON.stringify(ref))
  }
  assert.throws(() => oz.agent(), (e) => isInvalid(e) && /no default/.test(e.message))
  // An agent exists only through its account's client.
  assert.throws(() => new OzonetelAgent({ ...AGENT }), (e) => isInvalid(e) && /client\.agent/.test(e.message))
  assert.throws(() => oz.agent({ ...AGENT, agentId: 'x' }), (e) => isInvalid(e) && /unknown field `agentId`/.test(e.message))
  assert.throws(() => oz.agent({ ...AGENT, number: '12' }), (e) => isInvalid(e) && /agent number/.test(e.message))
  assert.throws(() => oz.agent({ ...AGENT, did: '12ab' }), (e) => isInvalid(e) && /did/.test(e.message))
  assert.throws(() => oz.agent({ ...AGENT, phoneName: 'a\nb' }), (e) => isInvalid(e) && /phone_name/.test(e.message))
  assert.throws(() => oz.agent({ id: 'x'.repeat(10_000) }), (e) => isInvalid(e) && e.message.length < 300)

  // A call that needs a field the agent was made without names it.
  const call = await sim.seedCall()
  const noDid = oz.agent({ id: 'agent1', phoneName: 'agent1' })
  await assert.rejects(noDid.hold(call.ucid), (e) => isInvalid(e) && /did/.test(e.message))
  const noPhone = oz.agent({ id: 'agent1', did: '918041763265' })
  await assert.rejects(noPhone.mute(call.ucid), (e) => isInvalid(e) && /phone_name/.test(e.message))
  const noNumber = oz.agent({ id: 'agent1', phoneName: 'agent1', did: '918041763265' })
  await assert.rejects(
    noNumber.transfer({ ucid: call.ucid, target: '9000000011' }),
    (e) => isInvalid(e) && /number/.test(e.message) && !e.message.includes('9000000011'),
  )
  assert.equal((await sim.requests()).length, before, 'nothing was sent for any of them')
  assert.equal(party(await sim.getCall(call.ucid), 'customer').on_hold, false)
})

test('two accounts side by side in one process: each generates its own token', async () => {
  await sim.control('POST', '/accounts', { userName: 'globex', apiKey: 'globex-key' })
  const acmeBefore = await generations('acme')
  const globexBefore = await generations('globex')
  const acme = new OzonetelClient(clientOptions(sim))
  const globex = new OzonetelClient(clientOptions(sim, { userName: 'globex', apiKey: 'globex-key' }))
  const acmeCall = await sim.seedCall()
  const globexCall = await sim.seedCall({ account: 'globex' })
  const [a, g] = [agentOf(acme), agentOf(globex)]
  const results = await Promise.all([a.hold(acmeCall.ucid), g.hold(globexCall.ucid), a.unhold(acmeCall.ucid), g.mute(globexCall.ucid)])
  assert.ok(results.every((r) => r.status === 'Success'))
  assert.equal((await generations('acme')) - acmeBefore, 1)
  assert.equal((await generations('globex')) - globexBefore, 1)
  // Each account acts only on its own calls: globex cannot hold acme's.
  await assert.rejects(g.hold(acmeCall.ucid), (e) => e.code === 'API')
})

test('OzonetelClients built separately on one account share one token, however the base URL is spelled', async () => {
  // A fresh account, so no earlier test's token is in play.
  await sim.control('POST', '/accounts', { userName: 'initech', apiKey: 'initech-key' })
  const before = await generations('initech')
  const port = new URL(sim.ozonetel).port
  const spellings = [
    sim.ozonetel,
    `${sim.ozonetel}/`,
    sim.ozonetel.replace('http://', 'HTTP://'),
    `http://127.0.0.1:${port}//`,
    ` ${sim.ozonetel} `,
  ]
  const clients = spellings.map((baseUrl) =>
    new OzonetelClient(clientOptions(sim, { userName: 'initech', apiKey: 'initech-key', baseUrl })),
  )
  const calls = await Promise.all(Array.from({ length: 5 }, () => sim.seedCall({ account: 'initech' })))
  const results = await Promise.all(
    calls.flatMap((call, i) => clients.map((c, j) => agentOf(c)[(i + j) % 2 ? 'hold' : 'mute'](call.ucid))),
  )
  assert.equal(results.length, 25)
  assert.ok(results.every((r) => r.status === 'Success'))
  assert.equal((await generations('initech')) - before, 1, '1 generation for 25 calls from 5 clients')
  // A client built later still reuses it (the account outlives none of its clients here).
  const late = new OzonetelClient(clientOptions(sim, { userName: 'initech', apiKey: 'initech-key' }))
  await agentOf(late).unhold(calls[0].ucid)
  assert.equal((await generations('initech')) - before, 1)
  // A wrong key on the same account name is another credential: it never borrows the token.
  const wrong = new OzonetelClient(clientOptions(sim, { userName: 'initech', apiKey: 'wrong-key', retry: { maxAttempts: 1 } }))
  await assert.rejects(agentOf(wrong).hold(calls[0].ucid), (e) => e.code === 'AUTH')
})

test('one account, one store: a second client naming a different store is INVALID_INPUT', () => {
  const oz = new OzonetelClient(clientOptions(sim))
  assert.ok(oz)
  assert.throws(
    () => new OzonetelClient(clientOptions(sim, { accountStore: { redisUrl: 'redis://127.0.0.1:1/' } })),
    (e) => isInvalid(e) && /already in use/.test(e.message),
  )
})

test('agents of one account act on their calls end to end: call control and transfer', async () => {
  const oz = new OzonetelClient(clientOptions(sim))
  const agent = agentOf(oz)
  const call = await sim.seedCall()
  assert.equal((await agent.hold(call.ucid)).status, 'Success')
  assert.equal(party(await sim.getCall(call.ucid), 'customer').on_hold, true)
  await agent.unhold(call.ucid)
  const t = await agent.transfer({ ucid: call.ucid, target: '9000000012', mode: 'warm' })
  assert.equal(t.constructor.name, 'Transfer')
  assert.equal(t.state, 'conferenced')
  await t.complete()
  assert.equal(party(await sim.getCall(call.ucid), 'agent'), undefined)
})
