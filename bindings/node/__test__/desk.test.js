'use strict'
// The agent desk end to end on the simulator: login → states → dial → call control →
// disposition → logout, typed refusals (AGENT_STATE with refusal), event subscriptions and
// the webhook's bodies parsed (JSON and form), a call event's CDR record, and CDR pages.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { OzonetelClient } = require('../index.js')
const { startSim, middayOffsetMinutes, clientOptions, AGENT, AGENT_PASSWORD, agentOf } = require('./helpers/sim.js')

const AGENT2 = { id: 'agent2', phoneName: '523591', number: '9123456781', campaign: 'Outbound_918041763265', did: '918041763265' }

let sim
let oz
let receiver
before(async () => {
  // Its CDR and missed-call tests work with "today": run where it is midday (see the helper).
  sim = await startSim({ utcOffsetMinutes: middayOffsetMinutes() })
  // The simulator answers dialled calls quickly.
  await sim.control('POST', '/dial', { answer_after_ms: 30, customer: 'answer' })
  oz = new OzonetelClient(clientOptions(sim, { eventsBaseUrl: sim.ozonetel, cdrRateLimit: { requests: 100, perMs: 1000 } }))
  receiver = await startReceiver()
})
after(async () => {
  receiver.close()
  await sim.stop()
})

/** A webhook receiver on 127.0.0.1: every POST kept as { path, contentType, body }. */
async function startReceiver() {
  const got = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      got.push({ path: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks) })
      res.end('ok')
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${server.address().port}`
  return {
    base,
    got,
    close: () => server.close(),
    /** Waits (bounded) until `pred` holds over the parsed events. */
    async until(pred, ms = 5000) {
      const deadline = Date.now() + ms
      for (;;) {
        const events = got.map((g) => OzonetelClient.parseEvent(g.contentType, g.body))
        if (pred(events)) return events
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(events.map((e) => [e.kind, e.action]))}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
}

const isCode = (code, refusal) => (e) => e instanceof Error && e.code === code && (refusal === undefined || e.refusal === refusal)
const agentState = async (id = 'agent1') => (await sim.control('GET', `/agents/acme/${id}`)).state
const waitFor = async (pred, ms = 5000) => {
  const deadline = Date.now() + ms
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('desk: login → pause → ready → dial → hold → dispose (queued) → call end → ready → logout, with every event delivered', async () => {
  await oz.subscribeEvents({ call: `${receiver.base}/call`, agent: `${receiver.base}/agent` })
  assert.deepEqual(await oz.eventSubscriptions(), { call: `${receiver.base}/call`, agent: `${receiver.base}/agent` })
  const agent = agentOf(oz)

  const login = await agent.login(AGENT_PASSWORD)
  assert.deepEqual(Object.keys(login).sort(), ['message', 'outcome'])
  assert.equal(login.outcome, 'logged_in')
  assert.equal((await agent.login(AGENT_PASSWORD)).outcome, 'already_logged_in')
  assert.equal((await agentState()).state, 'ready')

  const paused = await agent.pause('Break')
  assert.equal(paused.agentStatus, 'PAUSED')
  assert.equal(paused.agentId, 'agent1')
  assert.deepEqual(await agentState(), { state: 'pause', reason: 'Break' })
  await assert.rejects(agent.pause('Siesta'), isCode('INVALID_INPUT'))
  await assert.rejects(agent.pause(''), isCode('INVALID_INPUT'))
  assert.equal((await agent.setReady()).agentStatus, 'READY')

  const dial = await agent.dial('+91 98765 00001', { uui: 'lead-42' })
  assert.equal(typeof dial.ucid, 'string')
  assert.match(dial.ucid, /^\d+$/)
  assert.equal(dial.status, 'queued successfully')
  const call = await sim.getCall(dial.ucid)
  assert.equal(call.customer_number, '09876500001')
  assert.equal(call.agent_id, 'agent1')
  assert.equal(call.campaign, AGENT.campaign)
  await waitFor(async () => (await agentState()).state === 'busy')
  await assert.rejects(agent.setReady(), isCode('AGENT_STATE', 'busy'))

  // The customer answers (the simulator's dial config), then the agent holds.
  await receiver.until((es) => es.some((e) => e.kind === 'call' && e.ucid === dial.ucid && e.action === 'answered'))
  assert.equal((await agent.hold(dial.ucid)).status, 'Success')
  assert.equal((await agent.unhold(dial.ucid)).status, 'Success')
  const queued = await agent.dispose(dial.ucid, { code: 'Appointment Booked', comments: 'booked for Friday' })
  assert.deepEqual(queued, { outcome: 'queued', message: 'Disposition Queued Successfully' })
  await sim.endCall(dial.ucid)
  // A disposition set during the call skips ACW.
  await waitFor(async () => (await agentState()).state === 'ready')

  assert.equal((await agent.logout(AGENT_PASSWORD)).outcome, 'logged_out')
  assert.equal((await agent.logout(AGENT_PASSWORD)).outcome, 'not_logged_in')
  assert.equal((await agentState()).state, 'logged_out')

  const events = await receiver.until(
    (es) => es.some((e) => e.kind === 'call' && e.action === 'disconnect') && es.some((e) => e.kind === 'agent' && e.action === 'Logout'),
  )
  const callEvents = events.filter((e) => e.kind === 'call' && e.ucid === dial.ucid)
  assert.deepEqual(callEvents.map((e) => e.action), ['calling', 'answered', 'disconnect'])
  for (const e of callEvents) {
    assert.equal(e.agentId, 'agent1')
    assert.equal(typeof e.monitorUcid, 'string')
    assert.notEqual(e.monitorUcid, e.ucid, "a dialled call's monitor id is not its UCID")
    assert.match(e.occurredAt.raw, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    assert.equal(e.occurredAt.at, e.occurredAt.raw.replace(' ', 'T'))
  }
  const agentActions = events.filter((e) => e.kind === 'agent' && e.agentId === 'agent1').map((e) => e.action)
  for (const action of ['Login', 'Pause', 'Ready', 'Busy', 'Logout']) assert.ok(agentActions.includes(action), `${action} in ${agentActions}`)

  // The call event's CDR record: joined on `ucid`, never `monitorUcid`.
  await sim.control('POST', '/clock/advance', { secs: 61 })
  const record = await oz.callRecordFor(callEvents.at(-1))
  assert.equal(record.ucid, dial.ucid)
  assert.equal(record.disposition, 'Appointment Booked')
  // On the wire: the dial asked for its UCID and carried the uui.
  const sent = (await sim.requests()).find((r) => r.path === '/ca_apis/AgentManualDial')
  assert.ok(sent, 'an AgentManualDial request')
  const body = JSON.parse(sent.body)
  assert.deepEqual(
    { agentID: body.agentID, campaignName: body.campaignName, customerNumber: body.customerNumber, UCID: body.UCID, uui: body.uui },
    { agentID: 'agent1', campaignName: AGENT.campaign, customerNumber: '09876500001', UCID: 'true', uui: 'lead-42' },
  )
  await assert.rejects(oz.callRecordFor(events.find((e) => e.kind === 'agent')), isCode('INVALID_INPUT'))
  await assert.rejects(oz.callRecordFor({ ...callEvents[0], ucid: '' }), isCode('INVALID_INPUT'))

  const removed = await oz.unsubscribeEvents('both')
  assert.equal(removed.changed, true)
  assert.equal(await oz.eventSubscriptions(), null)
  assert.equal((await oz.unsubscribeEvents('call')).changed, false)
  await assert.rejects(oz.unsubscribeEvents('everything'), isCode('INVALID_INPUT'))
})

test('desk: after a call without a disposition the agent is in ACW; Ready is refused, dispose saves, forceReady clears', async () => {
  const agent = agentOf(oz)
  await agent.login(AGENT_PASSWORD)
  const dial = await agent.dial('9876500002')
  await waitFor(async () => (await sim.getCall(dial.ucid)).answered)
  await sim.endCall(dial.ucid)
  await waitFor(async () => (await agentState()).state === 'acw')
  await assert.rejects(agent.setReady(), isCode('AGENT_STATE', 'in_acw'))
  await assert.rejects(agent.pause('Break'), isCode('AGENT_STATE', 'in_acw'))
  await assert.rejects(agent.dial('9876500003'), isCode('AGENT_STATE', 'not_available'))
  const saved = await agent.dispose(dial.ucid, { code: 'General Enquiry', autoRelease: true, callbackAt: '2030-01-02 10:30:00' })
  assert.equal(saved.outcome, 'saved')
  assert.equal((await agent.dispose(dial.ucid, { code: 'General Enquiry' })).outcome, 'already_disposed')
  assert.equal((await agentState()).state, 'ready')

  const second = await agent.dial('9876500004')
  await waitFor(async () => (await sim.getCall(second.ucid)).answered)
  await sim.endCall(second.ucid)
  await waitFor(async () => (await agentState()).state === 'acw')
  const forced = await agent.forceReady(AGENT_PASSWORD)
  assert.deepEqual(Object.keys(forced).sort(), ['login', 'logout', 'ready'])
  assert.equal(forced.logout.outcome, 'logged_out')
  assert.equal(forced.login.outcome, 'logged_in')
  assert.equal(forced.ready.agentStatus, 'READY')
  assert.equal((await agentState()).state, 'ready')
  await agent.logout(AGENT_PASSWORD)
})

test('desk: refusals are typed; a wrong password is AUTH and never echoed', async () => {
  const agent = agentOf(oz)
  const wrong = await assert.rejects(agent.login('not-the-password-CANARY'), (e) => {
    assert.equal(e.code, 'AUTH')
    assert.ok(!e.message.includes('CANARY'), e.message)
    return true
  })
  assert.equal(wrong, undefined)
  await assert.rejects(agent.dial('9876500005'), isCode('AGENT_STATE', 'not_available'))
  await assert.rejects(agent.setReady(), isCode('AGENT_STATE', 'not_logged_in'))
})

test('desk: each call names what it needs of the agent; INVALID_INPUT before anything is sent', async () => {
  const before = (await sim.requests()).length
  const bare = oz.agent({ id: 'agent1' })
  await assert.rejects(bare.login(AGENT_PASSWORD), (e) => isCode('INVALID_INPUT')(e) && /number/.test(e.message))
  await assert.rejects(bare.forceReady(AGENT_PASSWORD), isCode('INVALID_INPUT'))
  await assert.rejects(bare.dial('9876500006'), (e) => isCode('INVALID_INPUT')(e) && /campaign/.test(e.message))
  await assert.rejects(bare.phoneDial('9876500006'), (e) => isCode('INVALID_INPUT')(e) && /phone_name|did/.test(e.message))
  await assert.rejects(bare.dispose('123456', { code: 'General Enquiry' }), (e) => isCode('INVALID_INPUT')(e) && /did/.test(e.message))
  const agent = agentOf(oz)
  for (const [name, call] of [
    ['login()', () => agent.login()],
    ['login(5)', () => agent.login(5)],
    ['login("")', () => agent.login('')],
    ['pause()', () => agent.pause()],
    ['dial()', () => agent.dial()],
    ['dial("12")', () => agent.dial('12')],
    ['dial(ok, {uui: 5})', () => agent.dial('9876500006', { uui: 5 })],
    ['dial(ok, {extra})', () => agent.dial('9876500006', { priority: 1 })],
    ['phoneDial(ok, {callLimitSecs: 0})', () => agent.phoneDial('9876500006', { callLimitSecs: 0 })],
    ['phoneDial(ok, {callLimitSecs: 1.5})', () => agent.phoneDial('9876500006', { callLimitSecs: 1.5 })],
    ['dispose(ucid)', () => agent.dispose('123456')],
    ['dispose(ucid, {})', () => agent.dispose('123456', {})],
    ['dispose(ucid, {code: ""})', () => agent.dispose('123456', { code: '' })],
    ['dispose("12ab", ok)', () => agent.dispose('12ab', { code: 'x' })],
    ['dispose(20 digits, ok)', () => agent.dispose('1'.repeat(20), { code: 'x' })],
    ['dispose(ok, {callbackAt: "tomorrow"})', () => agent.dispose('123456', { code: 'x', callbackAt: 'tomorrow' })],
    ['dispose(ok, {autoRelease: "yes"})', () => agent.dispose('123456', { code: 'x', autoRelease: 'yes' })],
  ]) {
    await assert.rejects(call(), isCode('INVALID_INPUT'), name)
  }
  assert.equal((await sim.requests()).length, before, 'nothing was sent')
})

test('desk: phoneDial rings an offline agent and answers the UCID', async () => {
  const agent = oz.agent(AGENT2)
  const dial = await agent.phoneDial('9876500007', { callLimitSecs: 60, checkStatus: true })
  assert.match(dial.ucid, /^\d+$/)
  const call = await sim.getCall(dial.ucid)
  assert.equal(call.agent_id, 'agent2')
  assert.equal(call.customer_number, '09876500007')
  await sim.endCall(dial.ucid)
})

test('dispositions lists the account codes', async () => {
  const codes = await oz.dispositions()
  assert.ok(Array.isArray(codes))
  assert.ok(codes.includes('Appointment Booked'), JSON.stringify(codes))
})

test('parseEvent reads JSON and form bodies, Buffers and strings, and keeps UCIDs exact', () => {
  const ucid = '90174967305497081' // above 2^53: a JS number would round it
  const fields = {
    eventType: 'Call',
    action: 'Answered',
    ucid,
    monitor_ucid: '90174967305497008',
    agent_id: 'agent1',
    caller_id: '09876500001',
    did: '918041763265',
    call_type: 'Manual',
    event_time: '2025-09-10 15:00:05',
    eventTime: '2025-09-10 15:00:06',
    custom_field: 'kept',
  }
  const json = `{${Object.entries(fields).map(([k, v]) => `"${k}":${k === 'ucid' ? v : JSON.stringify(v)}`).join(',')}}`
  const form = new URLSearchParams(fields).toString()
  for (const [contentType, body] of [
    ['application/json', Buffer.from(json)],
    ['application/json; charset=utf-8', json],
    ['application/x-www-form-urlencoded', Buffer.from(form)],
    ['application/x-www-form-urlencoded;charset=UTF-8', form],
  ]) {
    const e = OzonetelClient.parseEvent(contentType, body)
    assert.equal(e.kind, 'call', contentType)
    assert.equal(e.ucid, ucid, `${contentType}: a number above 2^53 stays exact`)
    assert.equal(e.monitorUcid, '90174967305497008')
    assert.equal(e.action, 'answered')
    assert.equal(e.agentId, 'agent1')
    assert.equal(e.callerId, '09876500001')
    assert.equal(e.callType, 'Manual')
    assert.deepEqual(e.occurredAt, { raw: '2025-09-10 15:00:05', at: '2025-09-10T15:00:05' })
    assert.deepEqual(e.sentAt, { raw: '2025-09-10 15:00:06', at: '2025-09-10T15:00:06' })
    assert.equal(e.extra.custom_field, 'kept')
  }
  const agentEvent = OzonetelClient.parseEvent(
    'application/x-www-form-urlencoded',
    'eventType=Agent&agent_id=agent2&action=Pause&pause_reason=Lunch&event_time=10-09-2025+15%3A00%3A00',
  )
  assert.equal(agentEvent.kind, 'agent')
  assert.equal(agentEvent.agentId, 'agent2')
  assert.equal(agentEvent.action, 'Pause')
  assert.equal(agentEvent.extra.pause_reason, 'Lunch')
  assert.equal(agentEvent.occurredAt.at, '2025-09-10T15:00:00')
  const other = OzonetelClient.parseEvent('application/json', '{"eventType":"Call","ucid":"1","action":"Transferred"}')
  assert.deepEqual(other.action, { other: 'Transferred' })

  for (const [contentType, body] of [
    ['application/json', '{"nothing":"here"}'],
    ['application/json', 'not json'],
    ['application/json', Buffer.from([0xff, 0xfe])],
    ['application/json', Buffer.alloc(1024 * 1024, 'a')],
    ['application/json', 42],
    ['application/json', { ucid: '1' }],
    [42, '{}'],
  ]) {
    assert.throws(() => OzonetelClient.parseEvent(contentType, body), isCode('INVALID_INPUT'), String(body).slice(0, 20))
  }
})

test('callRecordPages pages through the day as an async iterator, paced and typed', async () => {
  await sim.control('POST', '/clock/advance', { secs: 61 })
  const { now_local } = await sim.clock()
  const day = now_local.slice(0, 10)
  const { ucids } = await sim.seedHistory(
    Array.from({ length: 5 }, (_, i) => ({ answered: i % 2 === 0, customer_number: `98800000${10 + i}` })),
  )
  const pages = oz.callRecordPages({ from: `${day} 00:00:00`, to: now_local }, 2)
  assert.equal(pages[Symbol.asyncIterator](), pages)
  const seen = []
  let totals = new Set()
  for (;;) {
    // The simulator allows 2 CDR requests a minute of its clock: move it on between pages.
    await sim.control('POST', '/clock/advance', { secs: 31 })
    const { value, done } = await pages.next()
    if (done) break
    assert.ok(value.records.length <= 2)
    assert.equal(typeof value.pageNo, 'number')
    totals.add(value.totalCount)
    seen.push(...value.records)
  }
  assert.deepEqual(await pages.next(), { value: undefined, done: true })
  const mine = seen.filter((r) => ucids.includes(r.ucid))
  assert.equal(mine.length, 5)
  assert.equal(totals.size, 1, 'one totalCount for the day')
  assert.equal([...totals][0], seen.length)
  for (const r of mine) assert.equal(typeof r.callId, 'string')

  // for await, and break stops it.
  await sim.control('POST', '/clock/advance', { secs: 61 })
  let count = 0
  for await (const page of oz.callRecordPages({ from: `${day} 00:00:00`, to: now_local }, 1)) {
    assert.equal(page.records.length, 1)
    if (++count === 1) break
  }
  assert.equal(count, 1)

  // Bad input: a wrong type throws; a page size out of range rejects the first next().
  assert.throws(() => oz.callRecordPages({ from: 'x', to: 'y' }, 10), isCode('INVALID_INPUT'))
  assert.throws(() => oz.callRecordPages({ from: `${day} 00:00:00`, to: now_local }, '10'), isCode('INVALID_INPUT'))
  assert.throws(() => oz.callRecordPages({ from: `${day} 00:00:00`, to: now_local }, 2.5), isCode('INVALID_INPUT'))
  const tooBig = oz.callRecordPages({ from: `${day} 00:00:00`, to: now_local }, 501)
  await assert.rejects(tooBig.next(), (e) => isCode('INVALID_INPUT')(e) && /500/.test(e.message))
  assert.deepEqual(await tooBig.next(), { value: undefined, done: true })
  const returned = oz.callRecordPages({ from: `${day} 00:00:00`, to: now_local }, 2)
  assert.deepEqual(await returned.return(), { value: undefined, done: true })
  assert.deepEqual(await returned.next(), { value: undefined, done: true })
})
