'use strict'
// @helix-engage/native against what the NestJS sidecar does today, in one run, against one
// simulator on 127.0.0.1 (release build). Not a test: `npm run bench` (see README, "Node").
//
// 1. Call control: 20,000 HOLD/UNHOLD requests at concurrency 64 through (a) this module,
//    (b) axios with a cached token, as the sidecar's OzonetelService does, (c) Node's fetch.
//    Throughput and client CPU per request (user+system of the client process).
// 2. Live assist: 200 concurrent sessions streaming 16 kHz mono linear16 in 20 ms frames, in
//    real time, for 60 s, through (a) this module and (b) a plain `ws` client doing the same
//    streaming (and JSON-parsing what comes back), as the sidecar does today, and (c) this
//    module with `coalesceMs`. CPU per stream-second and memory per session: the RSS growth
//    while streaming (after one warm-up session), the replay buffer's share, and apart from
//    it the peak while every session stops at once.
// 3. Building clients: 10,000 `OzonetelClient`s (one account) vs 10,000 `axios.create()`
//    instances as the sidecar builds per request scope: time and RSS per client, held alive.
//
// Each scenario runs in its own child process so CPU and memory are its own. Knobs (env):
// BENCH_REQUESTS, BENCH_CONCURRENCY, BENCH_SESSIONS, BENCH_SECONDS, HELIX_SIM_BIN.
const { spawn, execFileSync } = require('node:child_process')
const path = require('node:path')
const fs = require('node:fs')
const readline = require('node:readline')

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64)
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10_000)
const repo = path.resolve(__dirname, '..', '..')
const ACCOUNT = { userName: 'acme', apiKey: 'sim-api-key' }
/** The simulator's seeded agent (what the sidecar's call control acts as). */
const AGENT = { id: 'agent1', phoneName: 'agent1', number: '9123456780', did: '918041763265' }

// ---------------------------------------------------------------------------------------------
// Scenarios (run in a child: `node bench.js <scenario> <sim-json>`)
// ---------------------------------------------------------------------------------------------

/** Runs `task(i)` REQUESTS times with CONCURRENCY in flight; returns wall ms and CPU µs. */
async function drive(task) {
  let next = 0
  const worker = async () => {
    while (next < REQUESTS) await task(next++)
  }
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
  const cpu = process.cpuUsage(cpu0)
  return { wallMs, cpuUs: cpu.user + cpu.system }
}

async function seedCalls(sim) {
  const ucids = []
  for (let i = 0; i < CONCURRENCY; i++) {
    const res = await fetch(`${sim.control}/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ucids.push((await res.json()).ucid)
  }
  return ucids
}

/** The sidecar's wire, written once for axios and fetch: cached token, Bearer, JSON body. */
function sidecarWire(sim, post) {
  let token = null
  async function getToken() {
    if (token) return token
    const data = await post(`${sim.ozonetel}/ca_apis/CAToken/generateToken`, { userName: ACCOUNT.userName }, { apiKey: ACCOUNT.apiKey })
    token = data.token
    return token
  }
  return async (action, ucid) => {
    const data = await post(
      `${sim.ozonetel}/ca_apis/CallControl_V4`,
      { userName: ACCOUNT.userName, action, ucid, conferenceNumber: '', did: AGENT.did, agentPhoneName: AGENT.phoneName },
      { Authorization: `Bearer ${await getToken()}` },
    )
    if (String(data.status).toLowerCase() !== 'success') throw new Error(`call control failed: ${JSON.stringify(data)}`)
    return data
  }
}

const callControlClients = {
  native(sim) {
    const { OzonetelClient } = require('@helix-engage/native')
    const agent = new OzonetelClient({ ...ACCOUNT, baseUrl: sim.ozonetel }).agent(AGENT)
    return (action, ucid) => agent.callControl({ action, ucid })
  },
  axios(sim) {
    const axios = require('axios')
    return sidecarWire(sim, async (url, body, headers) => (await axios.post(url, body, { headers, timeout: 10_000 })).data)
  },
  fetch(sim) {
    return sidecarWire(sim, async (url, body, headers) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      })
      return res.json()
    })
  },
}

async function callControlScenario(kind, sim) {
  const ucids = await seedCalls(sim)
  const send = callControlClients[kind](sim)
  const request = (i) => send(i % (2 * CONCURRENCY) < CONCURRENCY ? 'HOLD' : 'UNHOLD', ucids[i % CONCURRENCY])
  // Warm-up: token, connection pool, JIT.
  for (let i = 0; i < 200; i++) await request(i)
  const { wallMs, cpuUs } = await drive(request)
  return { requests: REQUESTS, wallMs, cpuUs, perSecond: REQUESTS / (wallMs / 1000), cpuUsPerRequest: cpuUs / REQUESTS }
}

/** The simulator's script: one utterance every UTTERANCE_S of each session's own audio. */
const UTTERANCE_S = 2.5

/**
 * Streams `seconds` of 20 ms frames to each of `sessions` sessions in real time, catching up
 * when the loop lags: `sendFrame(s)` sends session s its next frame. Each session's first frame
 * comes at its own offset, spread evenly over one utterance of the script, as calls start at
 * any time: in step, every session's utterance (and the audio the module holds until Deepgram
 * finalises it) would peak at the same instant, and the memory per session would be that
 * peak, not what a session adds to a desk whose calls began whenever they began.
 */
async function realTime(sendFrame, sessions = SESSIONS, seconds = SECONDS) {
  const total = (seconds * 1000) / 20
  const offsets = Array.from({ length: sessions }, (_, s) => Math.floor((s * UTTERANCE_S * 50) / sessions))
  const last = offsets[sessions - 1] + total
  const t0 = Date.now()
  let tick = 0
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(last, Math.floor((Date.now() - t0) / 20) + 1)
      for (; tick < due; tick++) {
        for (let s = 0; s < sessions; s++) {
          const i = tick - offsets[s]
          if (i >= 0 && i < total) sendFrame(s)
        }
      }
      if (tick >= last) {
        clearInterval(timer)
        resolve()
      }
    }, 20)
  })
}

const FRAME = Buffer.alloc(640) // 20 ms of 16 kHz mono linear16

/** `@helix-engage/native`'s LiveAssist, one per session, with `options` added to its config. */
async function nativeAssist(sim, options, n) {
  const { LiveAssist } = require('@helix-engage/native')
  let events = 0
  const sessions = await Promise.all(
    Array.from({ length: n }, () =>
      LiveAssist.start(
        {
          deepgram: { apiKey: 'sim-deepgram-key', url: sim.deepgram },
          audio: { encoding: 'linear16', sampleRate: 16000, channels: 1 },
          speakers: ['customer'],
          ...options,
        },
        () => events++,
      ),
    ),
  )
  return {
    send: (s) => sessions[s].sendAudio(FRAME),
    // KiB of audio the sessions' replay buffers hold now, per session (16-bit mono 16 kHz).
    replayKiB: () => sessions.reduce((kib, s) => kib + (s.metrics().replayBufferSeconds * 32_000) / 1024, 0) / n,
    stop: async () => {
      const summaries = await Promise.all(sessions.map((s) => s.stop()))
      return {
        events,
        finals: summaries.reduce((n, s) => n + s.transcript.segments.length, 0),
        reconnects: summaries.reduce((n, s) => n + s.metrics.reconnects, 0),
        droppedChunks: summaries.reduce((n, s) => n + s.metrics.droppedChunks, 0),
      }
    },
  }
}

/** The coalesced native client's window (`coalesceMs`): its own row, it trades delay for CPU. */
const COALESCE_MS = Number(process.env.BENCH_COALESCE_MS ?? 100)

const assistClients = {
  native: (sim, n) => nativeAssist(sim, {}, n),
  'native-coalesced': (sim, n) => nativeAssist(sim, { coalesceMs: COALESCE_MS }, n),
  async ws(sim, n) {
    const WebSocket = require('ws')
    let events = 0
    let finals = 0
    const query = 'model=nova-3&encoding=linear16&sample_rate=16000&channels=1&interim_results=true&punctuate=true&smart_format=true&endpointing=300&utterance_end_ms=1000&vad_events=true'
    const sockets = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise((resolve, reject) => {
            const ws = new WebSocket(`${sim.deepgram}/v1/listen?${query}`, { headers: { Authorization: 'Token sim-deepgram-key' } })
            ws.on('message', (data, isBinary) => {
              if (isBinary) return
              const msg = JSON.parse(data.toString())
              events++
              if (msg.type === 'Results' && msg.is_final && msg.channel?.alternatives?.[0]?.transcript) finals++
            })
            ws.once('open', () => resolve(ws))
            ws.once('error', reject)
          }),
      ),
    )
    return {
      send: (s) => sockets[s].send(FRAME),
      stop: async () => {
        await Promise.all(
          sockets.map(
            (ws) =>
              new Promise((resolve) => {
                ws.once('close', resolve)
                ws.send(JSON.stringify({ type: 'CloseStream' }))
                setTimeout(() => ws.terminate(), 5000)
              }),
          ),
        )
        return { events, finals, reconnects: 0, droppedChunks: 0 }
      },
    }
  },
}

async function assistScenario(kind, sim) {
  // One session first, streamed and stopped: what is paid once per process (the module's
  // code, the addon's runtime and its threads, the first connection) is not per session.
  // Three seconds in real time, past the script's first utterance, so the code that handles
  // results and events (Node's own included: its pages count in the RSS once touched) has run
  // too.
  const warm = await assistClients[kind](sim, 1)
  await realTime((s) => warm.send(s), 1, 3)
  await warm.stop()
  global.gc?.()
  await new Promise((r) => setTimeout(r, 200))
  const rss0 = process.memoryUsage().rss
  const client = await assistClients[kind](sim, SESSIONS)
  let peakRss = process.memoryUsage().rss
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250)
  const cpu0 = process.cpuUsage()
  // Half way, what the replay buffers hold (the sessions' utterances are spread over one
  // utterance's time, so their mean is the mean over a call): the share of the
  // memory a plain client, which cannot replay after a reconnect, does not have.
  let replayKiB = 0
  const replayAt = setTimeout(() => (replayKiB = client.replayKiB?.() ?? 0), (SECONDS / 2) * 1000)
  await realTime((s) => client.send(s))
  clearTimeout(replayAt)
  const cpu = process.cpuUsage(cpu0)
  const streamRss = process.memoryUsage().rss
  const streamPeak = Math.max(peakRss, streamRss)
  // Stopping every session at once (summaries built and handed to JS together) is a peak
  // of its own, paid once per call at its end: reported apart from the streaming figure.
  const outcome = await client.stop()
  clearInterval(sampler)
  const stopPeak = Math.max(peakRss, process.memoryUsage().rss)
  const streamSeconds = SESSIONS * SECONDS
  return {
    sessions: SESSIONS,
    seconds: SECONDS,
    cpuUsPerStreamSecond: (cpu.user + cpu.system) / streamSeconds,
    cpuPercentOfOneCore: ((cpu.user + cpu.system) / (SECONDS * 1e6)) * 100,
    rssPerSessionKiB: (streamPeak - rss0) / SESSIONS / 1024,
    stopPeakKiBPerSession: (stopPeak - rss0) / SESSIONS / 1024,
    replayKiBPerSession: replayKiB,
    ...outcome,
  }
}

// ---------------------------------------------------------------------------------------------
// Orchestration
// ---------------------------------------------------------------------------------------------

/** Builds CLIENTS clients and keeps them alive: wall µs and RSS KiB per client. */
function clientsScenario(kind, sim) {
  const build =
    kind === 'native'
      ? (() => {
          const { OzonetelClient } = require('@helix-engage/native')
          return () => new OzonetelClient({ ...ACCOUNT, baseUrl: sim.ozonetel })
        })()
      : (() => {
          const axios = require('axios')
          return () =>
            axios.create({ baseURL: sim.ozonetel, timeout: 10_000, headers: { 'content-type': 'application/json' } })
        })()
  global.gc()
  const rss0 = process.memoryUsage().rss
  const t0 = process.hrtime.bigint()
  const keep = []
  for (let i = 0; i < CLIENTS; i++) keep.push(build())
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3
  global.gc()
  const rss1 = process.memoryUsage().rss
  return { clients: keep.length, usPerClient: wallUs / CLIENTS, rssPerClientKiB: (rss1 - rss0) / 1024 / CLIENTS }
}

function simBinary() {
  if (process.env.HELIX_SIM_BIN) return process.env.HELIX_SIM_BIN
  const target = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target')
  const release = path.join(target, 'release', 'helix-engage-sim')
  if (fs.existsSync(release)) return release
  throw new Error(`build the simulator first: cargo build --release -p helix-engage-sim (looked in ${release})`)
}

async function startSim() {
  const child = spawn(simBinary(), ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const urls = {}
  await new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`simulator exited (${c})`)))
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const [name, url] = line.trim().split(/\s+/)
      urls[name] = url
      if (urls.ozonetel && urls.deepgram && urls.control) resolve()
    })
  })
  child.removeAllListeners('exit')
  // Speech for the whole stream: a socket that hears audio and answers nothing for 10 s looks
  // dead to the module's watchdog (and would be replaced), which is not what is measured here.
  const turns = []
  for (let t = 0; t + 2.5 <= SECONDS + 2.5; t += 2.5) {
    turns.push({ channel: 0, text: `Utterance ${turns.length + 1} of the benchmark call.`, start: t + 0.2, end: t + 2.2 })
  }
  const res = await fetch(`${urls.control}/deepgram/script`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ turns }),
  })
  if (!res.ok) throw new Error(`cannot set the script: ${res.status} ${await res.text()}`)
  return { urls, stop: () => child.kill('SIGTERM') }
}

function runChild(scenario, kind, urls) {
  const out = execFileSync(process.execPath, ['--expose-gc', __filename, scenario, kind, JSON.stringify(urls)], {
    cwd: __dirname,
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  })
  return JSON.parse(out.toString().trim().split('\n').at(-1))
}

const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

async function main() {
  const [scenario, kind, urls] = process.argv.slice(2)
  if (scenario) {
    const sim = JSON.parse(urls)
    const result =
      scenario === 'call-control'
        ? await callControlScenario(kind, sim)
        : scenario === 'clients'
          ? clientsScenario(kind, sim)
          : await assistScenario(kind, sim)
    console.log(JSON.stringify(result))
    return
  }
  const addon = fs.readdirSync(path.join(repo, 'bindings', 'node')).find((f) => f.endsWith('.node'))
  console.log(`node ${process.version}; addon ${addon}; simulator ${simBinary()}`)
  const sim = await startSim()
  try {
    console.log(`\n1. Call control: ${REQUESTS} requests, concurrency ${CONCURRENCY}`)
    const cc = {}
    for (const k of ['native', 'axios', 'fetch']) {
      cc[k] = runChild('call-control', k, sim.urls)
      console.log(`   ${k.padEnd(7)} ${fmt(cc[k].perSecond, 0).padStart(7)} req/s   ${fmt(cc[k].cpuUsPerRequest).padStart(6)} µs CPU/request   (${fmt(cc[k].wallMs / 1000, 2)} s)`)
    }
    for (const k of ['axios', 'fetch']) {
      console.log(
        `   native vs ${k}: throughput ×${fmt(cc.native.perSecond / cc[k].perSecond, 2)}, CPU/request ×${fmt(cc.native.cpuUsPerRequest / cc[k].cpuUsPerRequest, 2)}`,
      )
    }
    console.log(`\n2. Live assist: ${SESSIONS} sessions × ${SECONDS} s of 16 kHz linear16 in 20 ms frames`)
    const la = {}
    for (const k of ['native', 'ws', 'native-coalesced']) {
      la[k] = runChild('assist', k, sim.urls)
      console.log(
        `   ${k.padEnd(16)} ${fmt(la[k].cpuUsPerStreamSecond).padStart(7)} µs CPU/stream-second (${fmt(la[k].cpuPercentOfOneCore)}% of a core)   ${fmt(la[k].rssPerSessionKiB).padStart(7)} KiB RSS/session streaming (replay buffer ${fmt(la[k].replayKiBPerSession)}; ${fmt(la[k].stopPeakKiBPerSession)} at the peak of stopping all at once)   ${la[k].events} events, ${la[k].finals} finals, ${la[k].reconnects} reconnects, ${la[k].droppedChunks} dropped`,
      )
    }
    console.log(
      `   native vs ws: CPU/stream-second ×${fmt(la.native.cpuUsPerStreamSecond / la.ws.cpuUsPerStreamSecond, 2)}, memory/session ×${fmt(la.native.rssPerSessionKiB / la.ws.rssPerSessionKiB, 2)}`,
    )
    const nc = la['native-coalesced']
    console.log(
      `   native-coalesced (coalesceMs ${COALESCE_MS}: up to ${COALESCE_MS} ms more delay) vs ws: CPU/stream-second ×${fmt(nc.cpuUsPerStreamSecond / la.ws.cpuUsPerStreamSecond, 2)}, memory/session ×${fmt(nc.rssPerSessionKiB / la.ws.rssPerSessionKiB, 2)}`,
    )
    console.log(`\n3. Building clients: ${CLIENTS}, held alive`)
    const cl = {}
    for (const k of ['native', 'axios']) {
      cl[k] = runChild('clients', k, sim.urls)
      console.log(`   ${k.padEnd(7)} ${fmt(cl[k].usPerClient).padStart(7)} µs/client   ${fmt(cl[k].rssPerClientKiB).padStart(6)} KiB RSS/client`)
    }
    console.log(
      `   native vs axios: time/client ×${fmt(cl.native.usPerClient / cl.axios.usPerClient, 2)}, memory/client ×${fmt(cl.native.rssPerClientKiB / cl.axios.rssPerClientKiB, 2)}`,
    )
    console.log(`\n${JSON.stringify({ callControl: cc, liveAssist: la, clients: cl })}`)
  } finally {
    sim.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
