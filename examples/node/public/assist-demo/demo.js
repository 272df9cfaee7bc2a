// The demo call: a loopback WebRTC call inside this page, captured by @helix-engage/browser
// (served by the sidecar under ./lib/) and streamed to the sidecar's live-assist gateway.
import { startCapture, connectAssist, TranscriptStore, defineTranscriptElement } from './lib/src/index.js'

const CUSTOMER_HZ = 440 // the remote party: what the agent hears through the call
const AGENT_HZ = 1500 // the agent's "microphone"

const status = document.getElementById('status')
const say = (text) => (status.textContent = text)

/** `candidate:… <component> <protocol> <priority> <address> <port> typ …`: the address field. */
function candidateAddress(candidate) {
  return candidate.address ?? candidate.candidate.split(' ')[4]
}

/**
 * Hands `from`'s ICE candidates to `to`, keeping only loopback ones: the call never sends a
 * packet to any address but this machine's own.
 */
function loopbackOnly(from, to) {
  from.addEventListener('icecandidate', ({ candidate }) => {
    if (!candidate || !candidate.candidate) return
    const address = candidateAddress(candidate)
    if (address === '127.0.0.1' || address === '::1' || address === '[::1]') to.addIceCandidate(candidate).catch(() => undefined)
  })
}

/** A tone as a MediaStream (an oscillator into a MediaStreamDestination). */
function tone(context, hz) {
  const osc = new OscillatorNode(context, { frequency: hz })
  const gain = new GainNode(context, { gain: 0.3 })
  const out = new MediaStreamAudioDestinationNode(context, { channelCount: 1 })
  osc.connect(gain).connect(out)
  osc.start()
  return { stream: out.stream, stop: () => osc.stop() }
}

/** The call: the customer's side sends its tone; resolves with the track the agent's side receives. */
async function loopbackCall(customerStream) {
  const customer = new RTCPeerConnection()
  const agent = new RTCPeerConnection()
  loopbackOnly(customer, agent)
  loopbackOnly(agent, customer)
  for (const track of customerStream.getAudioTracks()) customer.addTrack(track, customerStream)
  const remote = new Promise((resolve) => agent.addEventListener('track', (e) => resolve(e.streams[0] ?? new MediaStream([e.track]))))
  await customer.setLocalDescription()
  await agent.setRemoteDescription(customer.localDescription)
  await agent.setLocalDescription()
  await customer.setRemoteDescription(agent.localDescription)
  const connected = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the loopback call did not connect (${agent.connectionState})`)), 10_000)
    agent.addEventListener('connectionstatechange', () => {
      if (agent.connectionState === 'connected') {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  await connected
  return { remote: await remote, peers: [customer, agent] }
}

/** When each final line first shows in the element (performance.now(), checked every frame), by text. */
function watchFinals(element, seen) {
  const tick = () => {
    // Final lines only: an interim of the same words shows earlier, in a lighter style.
    const now = performance.now()
    for (const said of element.shadowRoot?.querySelectorAll('.line:not(.interim) .text') ?? []) {
      if (!(said.textContent in seen)) seen[said.textContent] = now
    }
    if (window.demo.running) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

async function startDemo() {
  say('starting the call…')
  defineTranscriptElement()
  const element = document.getElementById('transcript')
  const store = new TranscriptStore()
  element.store = store
  const events = []
  const demo = (window.demo = { events, store, running: true, frameAt: [], domFinalAt: {}, frames: 0 })

  // Chrome hides host candidates behind mDNS names until the page holds a media permission;
  // the fake device grants it (--use-fake-ui-for-media-stream), and the track is not needed.
  const permission = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null)
  permission?.getTracks().forEach((t) => t.stop())

  const tones = new AudioContext()
  const customer = tone(tones, CUSTOMER_HZ)
  const microphone = tone(tones, AGENT_HZ)
  const call = await loopbackCall(customer.stream)
  demo.peers = call.peers
  demo.remote = call.remote
  const transferred = []

  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/assist`
  const connection = connectAssist(url, {
    lead: { name: 'Asha Rao' },
    onEvent(e) {
      events.push({ ...e, at: performance.now() })
      store.handle(e)
    },
  })
  demo.connection = connection
  const capture = await startCapture({
    remote: call.remote,
    local: microphone.stream,
    workletUrl: new URL('./lib/src/worklet.js', import.meta.url),
    onFrame(frame) {
      demo.frames++
      // When each 20 ms frame left the capture (the first few minutes): the latency figure's start.
      if (demo.frameAt.length < 15_000) demo.frameAt.push(performance.now())
      connection.sendFrame(frame)
    },
  })
  demo.capture = capture
  // A transfer: the far end re-negotiates, so a new peer connection brings a new remote track
  // (here a new tone), and the capture swaps its source mid-call.
  demo.transfer = async (hz) => {
    const next = tone(tones, hz)
    transferred.push(next)
    const nextCall = await loopbackCall(next.stream)
    demo.peers.push(...nextCall.peers)
    demo.remote = nextCall.remote
    capture.replaceRemote(nextCall.remote)
  }
  watchFinals(element, demo.domFinalAt)
  demo.stop = async () => {
    demo.running = false
    capture.stop()
    const summary = await connection.stop()
    connection.close()
    demo.peers.forEach((p) => p.close())
    customer.stop()
    transferred.forEach((t) => t.stop())
    microphone.stop()
    await tones.close()
    say('call ended')
    return summary
  }
  showStats(demo)
  say(`in call: capture at ${capture.sampleRate} Hz → 16 kHz, ${capture.channels} channel(s)`)
  return { sampleRate: capture.sampleRate, channels: capture.channels }
}

function showStats(demo) {
  const dl = document.getElementById('stats')
  const render = () => {
    const c = demo.capture.stats()
    const s = demo.connection.stats()
    const rows = [
      ['frames captured', c.frames],
      ['capture CPU', `${c.cpuMsPerAudioSecond.toFixed(2)} ms per s of audio`],
      ['frames sent / dropped', `${s.sent} / ${s.dropped}`],
      ['reconnects', s.reconnects],
    ]
    dl.replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: String(v) })]))
    if (demo.running) setTimeout(render, 500)
  }
  render()
}

window.startDemo = startDemo
const startButton = document.getElementById('start')
const stopButton = document.getElementById('stop')
startButton.addEventListener('click', async () => {
  startButton.disabled = true
  try {
    await startDemo()
    stopButton.disabled = false
  } catch (error) {
    say(`failed: ${error.message}`)
    startButton.disabled = false
  }
})
stopButton.addEventListener('click', async () => {
  stopButton.disabled = true
  await window.demo.stop()
})
