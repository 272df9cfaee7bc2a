'use strict'
// Every OzonetelClient method against the simulator, asserting the typed result and what the
// simulator's call now looks like.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { OzonetelClient } = require('../index.js')
const { startSim, middayOffsetMinutes, clientOptions, agentOf } = require('./helpers/sim.js')

let sim
let oz
let agent
before(async () => {
  // Its CDR and missed-call tests work with "today": run where it is midday (see the helper).
  sim = await startSim({ utcOffsetMinutes: middayOffsetMinutes() })
  oz = new OzonetelClient(clientOptions(sim, { cdrRateLimit: { requests: 100, perMs: 1000 } }))
  agent = agentOf(oz)
})
after(() => sim.stop())

const party = (call, role) => call.participants.find((p) => p.role === role)

test('getters expose the account and base URL, never the key', () => {
  assert.equal(oz.userName, 'acme')
  assert.equal(oz.baseUrl, sim.ozonetel)
  assert.ok(!JSON.stringify(Object.getOwnPropertyNames(oz)).includes('sim-api-key'))
})

test('callControl applies every action with a typed response and a string UCID', async () => {
  const call = await sim.seedCall()
  assert.equal(typeof call.ucid, 'string')
  const held = await agent.callControl({ action: 'HOLD', ucid: call.ucid })
  assert.deepEqual(Object.keys(held).sort(), ['action', 'message', 'status', 'ucid'])
  assert.equal(held.action, 'HOLD')
  assert.equal(held.status, 'Success')
  assert.equal(held.ucid, call.ucid)
  assert.equal(party(await sim.getCall(call.ucid), 'customer').on_hold, true)
  assert.equal((await agent.callControl({ action: 'UNHOLD', ucid: call.ucid })).action, 'UNHOLD')
  assert.equal((await agent.callControl({ action: 'MUTE', ucid: call.ucid })).action, 'MUTE')
  assert.equal(party(await sim.getCall(call.ucid), 'customer').muted, true)
  assert.equal((await agent.callControl({ action: 'UNMUTE', ucid: call.ucid })).action, 'UNMUTE')
  const conf = await agent.callControl({ action: 'CONFERENCE', ucid: call.ucid, conferenceNumber: '+91 90000-00002' })
  assert.equal(conf.action, 'CONFERENCE')
  assert.equal((await sim.getCall(call.ucid)).participants.length, 3)
  const kicked = await agent.callControl({ action: 'KICK_CALL', ucid: call.ucid, conferenceNumber: '9000000002' })
  assert.equal(kicked.action, 'KICK_CALL')
  assert.equal((await sim.getCall(call.ucid)).participants.length, 2)
})

test('hold, unhold, mute, unmute, conference and kick shorthands', async () => {
  const call = await sim.seedCall()
  assert.equal((await agent.hold(call.ucid)).action, 'HOLD')
  assert.equal((await agent.unhold(call.ucid)).action, 'UNHOLD')
  assert.equal((await agent.mute(call.ucid)).action, 'MUTE')
  assert.equal((await agent.unmute(call.ucid)).action, 'UNMUTE')
  const customer = party(await sim.getCall(call.ucid), 'customer')
  assert.equal(customer.on_hold, false)
  assert.equal(customer.muted, false)
  assert.equal((await agent.conference(call.ucid, '9000000003')).action, 'CONFERENCE')
  assert.equal((await agent.kick(call.ucid, '9000000003')).action, 'KICK_CALL')
  assert.equal((await sim.getCall(call.ucid)).participants.length, 2)
})

test('warm transfer: complete drops the agent; the Transfer reports its state', async () => {
  const call = await sim.seedCall()
  const t = await agent.transfer({ ucid: call.ucid, target: '+91 90000 00004' })
  assert.equal(t.constructor.name, 'Transfer')
  assert.equal(t.ucid, call.ucid)
  assert.equal(t.target, '09000000004')
  assert.equal(t.mode, 'warm')
  assert.equal(t.state, 'conferenced')
  assert.equal((await sim.getCall(call.ucid)).participants.length, 3)
  assert.equal(await t.complete(), null)
  assert.equal(t.state, 'completed')
  const after = await sim.getCall(call.ucid)
  assert.equal(party(after, 'agent'), undefined)
})

test('warm transfer: cancel drops the target', async () => {
  const call = await sim.seedCall()
  const t = await agent.transfer({ ucid: call.ucid, target: '9000000005', mode: 'warm' })
  await t.cancel()
  assert.equal(t.state, 'cancelled')
  const after = await sim.getCall(call.ucid)
  assert.ok(party(after, 'agent'))
  assert.equal(after.participants.length, 2)
})

test('cold transfer completes at once', async () => {
  const call = await sim.seedCall()
  const t = await agent.transfer({ ucid: call.ucid, target: '9000000006', mode: 'cold' })
  assert.equal(t.mode, 'cold')
  assert.equal(t.state, 'completed')
  assert.equal(party(await sim.getCall(call.ucid), 'agent'), undefined)
})

test('pauseRecording and resumeRecording', async () => {
  const call = await sim.seedCall()
  assert.deepEqual(Object.keys(await oz.pauseRecording(call.ucid)).sort(), ['message', 'paused'])
  assert.equal((await sim.getCall(call.ucid)).recording_paused, true)
  const resumed = await oz.resumeRecording(call.ucid)
  assert.equal(resumed.paused, false)
  assert.equal((await sim.getCall(call.ucid)).recording_paused, false)
})

test('abandonedCalls returns typed missed calls, filterable by campaign and window', async () => {
  const { ucids } = await sim.seedHistory([
    { answered: false, customer_number: '9811111111', campaign: 'Inbound_918041763265' },
    { answered: false, customer_number: '9822222222', campaign: 'Other' },
  ])
  const all = await oz.abandonedCalls()
  const mine = all.filter((c) => ucids.includes(c.monitorUcid))
  assert.equal(mine.length, 2)
  for (const call of mine) {
    assert.equal(typeof call.monitorUcid, 'string')
    assert.equal(typeof call.callTime, 'string')
    assert.match(call.callerId, /98[12]{8}/)
  }
  const filtered = await oz.abandonedCalls({ campaignName: 'Other' })
  assert.ok(filtered.every((c) => c.campaign === 'Other'))
  const { now_local } = await sim.clock()
  const day = now_local.slice(0, 10)
  const windowed = await oz.abandonedCalls({ fromTime: `${day} 00:00:00`, toTime: now_local })
  assert.ok(windowed.length >= 2)
  const isoWindowed = await oz.abandonedCalls({ fromTime: `${day}T00:00:00`, toTime: now_local.replace(' ', 'T') })
  assert.equal(isoWindowed.length, windowed.length, 'a T separator names the same local time')
})

test('callRecords spans days, reports progress before resolving, and callRecord finds one call', async () => {
  await sim.control('POST', '/clock/advance', { secs: 61 })
  const { now_local } = await sim.clock()
  const today = now_local.slice(0, 10)
  const yesterdayDate = new Date(`${today}T00:00:00Z`)
  yesterdayDate.setUTCDate(yesterdayDate.getUTCDate() - 1)
  const yesterday = yesterdayDate.toISOString().slice(0, 10)
  const { ucids } = await sim.seedHistory([
    { answered: true, start: `${yesterday} 10:00:00`, talk_secs: 60, customer_number: '9833333333' },
    { answered: true, customer_number: '9844444444' },
  ])
  const progress = []
  const records = await oz.callRecords({ from: `${yesterday} 00:00:00`, to: now_local }, (p) => progress.push(p))
  assert.equal(progress.length, 2)
  assert.deepEqual(progress.map((p) => p.day), [yesterday, today])
  assert.deepEqual(progress.map((p) => p.daysDone), [1, 2])
  assert.equal(progress[1].daysTotal, 2)
  assert.equal(progress[1].nextRequestIn, 0)
  const mine = records.filter((r) => ucids.includes(r.ucid))
  assert.equal(mine.length, 2)
  assert.equal(typeof mine[0].callId, 'string')
  assert.match(mine[0].duration, /^\d\d:\d\d:\d\d$/)

  await sim.control('POST', '/clock/advance', { secs: 61 })
  const one = await oz.callRecord(ucids[1], today)
  assert.equal(one.ucid, ucids[1])
  await sim.control('POST', '/clock/advance', { secs: 61 })
  assert.equal(await oz.callRecord('12345', today), null)
})

test('watchMissedCalls yields each new missed call once, then stops on return()', async () => {
  const watcher = oz.watchMissedCalls({ intervalMs: 100 })
  assert.equal(watcher[Symbol.asyncIterator](), watcher)
  const pending = watcher.next() // first poll: the baseline, not reported
  await new Promise((r) => setTimeout(r, 300))
  const call = await sim.seedCall({ answered: false, customer_number: '9855555555' })
  await sim.endCall(call.ucid)
  const first = await pending
  assert.equal(first.done, false)
  assert.equal(first.value.monitorUcid, call.ucid)
  assert.equal(first.value.callerId.endsWith('9855555555'), true)
  const ended = await watcher.return()
  assert.deepEqual(ended, { value: undefined, done: true })
  assert.deepEqual(await watcher.next(), { value: undefined, done: true })
})

test('watchMissedCalls works with for await and includeExisting', async () => {
  await sim.seedHistory({ answered: false, customer_number: '9866666666' })
  const seen = []
  for await (const call of oz.watchMissedCalls({ intervalMs: 100, includeExisting: true })) {
    seen.push(call)
    if (seen.length === 1) break
  }
  assert.equal(seen.length, 1)
})

test('many clients and many concurrent requests', async () => {
  const calls = await Promise.all(Array.from({ length: 8 }, () => sim.seedCall()))
  const agents = Array.from({ length: 4 }, () => agentOf(new OzonetelClient(clientOptions(sim))))
  const results = await Promise.all(
    calls.flatMap((call, i) => [agents[i % 4].hold(call.ucid), agents[(i + 1) % 4].mute(call.ucid)]),
  )
  assert.equal(results.length, 16)
  assert.ok(results.every((r) => r.status === 'Success'))
})
