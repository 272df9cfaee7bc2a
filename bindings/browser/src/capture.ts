/**
 * `startCapture`: the agent's call audio → 20 ms frames of 16 kHz linear16, produced off the
 * main thread by the `helix-capture` AudioWorklet (`worklet.ts`).
 *
 * The graph: microphone → source → worklet input 0 (agent, channel 0); remote track → source →
 * worklet input 1 (customer, channel 1); worklet → gain 0 → destination, so the graph pulls the
 * worklet without playing anything. Each input is down-mixed to one channel by the node.
 *
 * Why:
 * - Chrome hands a remote WebRTC track's samples to WebAudio only while a media element plays
 *   that track; a muted `<audio>` playing it is enough, so capture makes one itself.
 * - The context's rate is whatever the output device runs at (44.1 kHz seen in practice): the
 *   worklet resamples from `context.sampleRate`, never an assumed 48 kHz.
 * - A track that ends or is muted gives silence; the worklet keeps emitting frames, so the
 *   stream's clock never stalls. `replaceRemote` (a transfer re-negotiates the peer connection
 *   and brings a new track) swaps the source node in place: no gap in the frame sequence.
 */

export interface CaptureOptions {
  /** The customer (channel 1). */
  remote: MediaStream | MediaStreamTrack;
  /** The agent's microphone (channel 0). */
  local?: MediaStream;
  /** Remote only, 1 channel. */
  mono?: boolean;
  /** Where `dist/src/worklet.js` is served. */
  workletUrl: string | URL;
  /** Default: a new one (closed by `stop`). */
  context?: AudioContext;
  /** 20 ms linear16 LE frames, 16 kHz. */
  onFrame: (frame: ArrayBuffer) => void;
}

export interface Capture {
  /** The context's rate. */
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Swaps the remote party's source (a transfer re-negotiates). */
  replaceRemote(remote: MediaStream | MediaStreamTrack): void;
  /** Measured in the worklet, updated about once a second. */
  stats(): { frames: number; cpuMsPerAudioSecond: number };
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 1000;

function asStream(remote: MediaStream | MediaStreamTrack): MediaStream {
  if (typeof MediaStreamTrack !== "undefined" && remote instanceof MediaStreamTrack) {
    return new MediaStream([remote]);
  }
  if (typeof MediaStream !== "undefined" && remote instanceof MediaStream) return remote;
  throw new TypeError("remote must be a MediaStream or a MediaStreamTrack");
}

function hasAudio(stream: MediaStream): boolean {
  return stream.getAudioTracks().length > 0;
}

export async function startCapture(options: CaptureOptions): Promise<Capture> {
  if (!options || typeof options.onFrame !== "function") throw new TypeError("onFrame must be a function");
  if (options.workletUrl === undefined || options.workletUrl === "") throw new TypeError("workletUrl is required");
  let remoteStream = asStream(options.remote);
  if (options.local !== undefined && !(options.local instanceof MediaStream)) {
    throw new TypeError("local must be a MediaStream");
  }
  const channels: 1 | 2 = options.mono ? 1 : 2;
  const ownContext = options.context === undefined;
  const context = options.context ?? new AudioContext();
  try {
    await context.audioWorklet.addModule(options.workletUrl);
    if (context.state === "suspended") await context.resume().catch(() => {});

    const node = new AudioWorkletNode(context, "helix-capture", {
      numberOfInputs: 2,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: "explicit",
      channelInterpretation: "speakers",
      processorOptions: { channels },
    });
    const sink = context.createGain();
    sink.gain.value = 0;
    node.connect(sink).connect(context.destination);

    let frames = 0;
    let cpuMsPerAudioSecond = 0;
    let onStopped: (() => void) | null = null;
    node.port.onmessage = (e: MessageEvent) => {
      const m = e.data;
      if (m?.type === "frame") {
        frames++;
        options.onFrame(m.frame as ArrayBuffer);
      } else if (m?.type === "stats") {
        cpuMsPerAudioSecond = m.cpuMsPerAudioSecond;
      } else if (m?.type === "stopped") {
        onStopped?.();
      }
    };

    // Chrome: a remote WebRTC track reaches WebAudio only while a media element plays it.
    const player = document.createElement("audio");
    player.muted = true;
    player.autoplay = true;
    const play = (stream: MediaStream): void => {
      player.srcObject = stream;
      player.play().catch(() => {
        // Autoplay refused: the element retries when the page next allows playback.
      });
    };
    play(remoteStream);

    // A source node throws for a stream without audio tracks: that input stays silent.
    const connectRemote = (stream: MediaStream): MediaStreamAudioSourceNode | null => {
      if (!hasAudio(stream)) return null;
      const src = context.createMediaStreamSource(stream);
      src.connect(node, 0, 1);
      return src;
    };
    let remoteSource = connectRemote(remoteStream);
    let localSource: MediaStreamAudioSourceNode | null = null;
    if (channels === 2 && options.local && hasAudio(options.local)) {
      localSource = context.createMediaStreamSource(options.local);
      localSource.connect(node, 0, 0);
    }

    let stopped = false;
    return {
      sampleRate: context.sampleRate,
      channels,
      replaceRemote(remote: MediaStream | MediaStreamTrack): void {
        if (stopped) throw new Error("capture stopped");
        const stream = asStream(remote);
        const next = connectRemote(stream);
        remoteSource?.disconnect();
        remoteSource = next;
        remoteStream = stream;
        play(stream);
      },
      stats() {
        return { frames, cpuMsPerAudioSecond };
      },
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        // Let the worklet flush its partial frame before the graph goes away.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, STOP_TIMEOUT_MS);
          onStopped = () => {
            clearTimeout(t);
            resolve();
          };
          node.port.postMessage({ type: "stop" });
        });
        remoteSource?.disconnect();
        localSource?.disconnect();
        node.disconnect();
        sink.disconnect();
        node.port.onmessage = null;
        player.pause();
        player.srcObject = null;
        if (ownContext) await context.close().catch(() => {});
      },
    };
  } catch (err) {
    if (ownContext) await context.close().catch(() => {});
    throw err;
  }
}
