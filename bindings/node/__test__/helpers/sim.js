'use strict'
// Starts the helix-engage simulator binary on 127.0.0.1 (port 0) and reads the base URLs it
// prints. Tests talk to nothing else. The binary is built by scripts/test.sh; HELIX_SIM_BIN
// overrides where it is looked for.
const { spawn } = require('node:child_process')
const path = require('node:path')
const fs = require('node:fs')
const readline = require('node:readline')

const repo = path.resolve(__dirname, '..', '..', '..', '..')

function simBinary() {
  if (process.env.HELIX_SIM_BIN) return process.env.HELIX_SIM_BIN
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(repo, 'target')
  for (const profile of ['debug', 'release']) {
    const candidate = path.join(targetDir, profile, 'helix-engage-sim')
    if (fs.existsSync(candidate)) return candidate
  }
  throw new Error(
    `helix-engage-sim not found under ${targetDir}; run cargo build -p helix-engage-sim (or set HELIX_SIM_BIN)`,
  )
}

/**
 * The time zone (minutes east of UTC) where it is about midday now. A suite that works with
 * "today" runs its simulator and its client there, so no run meets a day boundary: at 23:59
 * IST, a window from "today 00:00" read off a simulator clock the suite has moved on would
 * start tomorrow for the client.
 */
function middayOffsetMinutes(now = new Date()) {
  const utcMinutes = now.getUTCHours() * 60 + now.getUTCMinutes()
  let offset = 12 * 60 - utcMinutes
  if (offset > 720) offset -= 1440
  if (offset <= -720) offset += 1440
  return offset
}

/**
 * Starts a simulator; resolves with its URLs, control helpers and stop(). `utcOffsetMinutes`
 * sets its accounts' time zone (default IST); `clientOptions` passes it on to the client.
 */
async function startSim({ utcOffsetMinutes } = {}) {
  const args = ['serve', '--port', '0']
  if (utcOffsetMinutes !== undefined) args.push('--utc-offset-minutes', String(utcOffsetMinutes))
  const child = spawn(simBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const urls = {}
  const lines = readline.createInterface({ input: child.stdout })
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator did not print its URLs in 10 s')), 10_000)
    child.once('exit', (code) => reject(new Error(`simulator exited early (${code})`)))
    lines.on('line', (line) => {
      const [name, url] = line.trim().split(/\s+/)
      if (name && url) urls[name] = url
      if (urls.ozonetel && urls.deepgram && urls.openai && urls.control) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  child.removeAllListeners('exit')

  async function control(method, p, body) {
    const res = await fetch(urls.control + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`sim ${method} ${p}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : null
  }

  return {
    ...urls,
    utcOffsetMinutes,
    control,
    seedCall: (call = {}) => control('POST', '/calls', call),
    getCall: (ucid) => control('GET', `/calls/${ucid}`),
    endCall: (ucid, body = {}) => control('POST', `/calls/${ucid}/end`, body),
    seedHistory: (calls) => control('POST', '/history', calls),
    fault: (endpoint, fault, times = 'once') => control('POST', '/faults', { endpoint, fault, times }),
    clearFaults: () => control('DELETE', '/faults'),
    requests: () => control('GET', '/requests'),
    clock: () => control('GET', '/clock'),
    tokens: (user = 'acme') => control('GET', `/tokens/${user}`),
    setScript: (script) => control('PUT', '/deepgram/script', script),
    deepgramSessions: () => control('GET', '/deepgram/sessions'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** Options for an OzonetelClient against this simulator (an account: no agent in it). */
function clientOptions(sim, extra = {}) {
  return {
    userName: 'acme',
    apiKey: 'sim-api-key',
    baseUrl: sim.ozonetel,
    timeoutMs: 5000,
    ...(sim.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: sim.utcOffsetMinutes }),
    ...extra,
  }
}

/** The simulator's seeded agent every seeded call is on, as an `AgentRef`. */
const AGENT = Object.freeze({
  id: 'agent1',
  phoneName: '523590',
  number: '9123456780',
  campaign: 'Outbound_918041763265',
  did: '918041763265',
})

/** agent1's password on the simulator (a fake credential of the simulator's). */
const AGENT_PASSWORD = 'sim-agent1-pass'

/** `client.agent(AGENT + extra)`. */
function agentOf(client, extra = {}) {
  return client.agent({ ...AGENT, ...extra })
}

/** A live-assist config against this simulator. */
function assistConfig(sim, extra = {}) {
  return {
    deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram },
    audio: { encoding: 'linear16', sampleRate: 16000, channels: 2 },
    speakers: ['agent', 'customer'],
    suggestions: { apiKey: 'sim-openai-key', baseUrl: sim.openai, intervalMs: 1000, minGapMs: 200 },
    ...extra,
  }
}

/** A four-turn booking call, agent and customer alternating: the Deepgram script of the
 * assist and event tests. */
const BOOKING_CALL = {
  turns: [
    { channel: 0, speaker: 'agent', text: 'Hello, this is Priya. How can I help?', start: 0.5, end: 2.0 },
    { channel: 1, speaker: 'customer', text: 'I would like to book a consultation.', start: 2.5, end: 4.5 },
    { channel: 0, speaker: 'agent', text: 'Sure, which day suits you?', start: 5.0, end: 6.5 },
    { channel: 1, speaker: 'customer', text: 'Next Monday, please.', start: 7.0, end: 8.5 },
  ],
}

/** `seconds` of 16 kHz stereo linear16 silence in 20 ms frames. */
function frames(seconds, frameMs = 20, bytesPerSecond = 64000) {
  const frameBytes = (bytesPerSecond * frameMs) / 1000
  const count = Math.round((seconds * 1000) / frameMs)
  const frame = Buffer.alloc(frameBytes)
  return Array.from({ length: count }, () => frame)
}

module.exports = { startSim, middayOffsetMinutes, clientOptions, AGENT, AGENT_PASSWORD, agentOf, assistConfig, frames, repo, BOOKING_CALL }
