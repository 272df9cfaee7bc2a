/**
 * The AudioWorkletProcessor `helix-capture`, loaded with `audioWorklet.addModule(workletUrl)`
 * (this file compiles to `dist/src/worklet.js`, next to the `resampler.js` and `encoder.js` it
 * imports). Input 0 is the agent's microphone, input 1 the remote party; each is one channel
 * (the node down-mixes). With `processorOptions.channels === 1` only input 1 is encoded.
 *
 * Each render quantum goes through one resampler per channel (context rate → 16 kHz) into one
 * frame encoder; every 20 ms frame is posted on the port as `{ type: 'frame', frame }` with its
 * buffer transferred (no copy). An input with no channels (nothing connected, a track that
 * ended) is fed as silence of the quantum's length, so both channels stay in step and frames
 * keep coming. About once a second it posts `{ type: 'stats', frames, cpuMsPerAudioSecond }`:
 * the processor's own time per second of audio. `{ type: 'stop' }` flushes the partial frame,
 * posts `{ type: 'stopped', frames }` and ends the processor.
 */
import { Resampler } from "./resampler.js";
import { FrameEncoder } from "./encoder.js";

// The AudioWorkletGlobalScope's names (TypeScript's DOM library does not describe that scope).
declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}

const QUANTUM = 128;
// `performance` is missing in some worklet scopes; Date.now's 1 ms steps still average out
// to the right figure over a second of quanta.
const now: () => number =
  typeof (globalThis as { performance?: Performance }).performance?.now === "function"
    ? () => performance.now()
    : () => Date.now();

class HelixCapture extends AudioWorkletProcessor {
  private readonly channels: 1 | 2;
  private readonly resamplers: Resampler[];
  private readonly encoder: FrameEncoder;
  private silence = new Float32Array(QUANTUM);
  private frames = 0;
  private cpuMs = 0;
  private samples = 0;
  private sinceStats = 0;
  private stopped = false;

  constructor(options?: { processorOptions?: { channels?: number } }) {
    super(options);
    this.channels = options?.processorOptions?.channels === 1 ? 1 : 2;
    this.resamplers = Array.from({ length: this.channels }, () => new Resampler(sampleRate));
    this.encoder = new FrameEncoder({
      channels: this.channels,
      onFrame: (frame) => {
        this.frames++;
        this.port.postMessage({ type: "frame", frame }, [frame]);
      },
    });
    this.port.onmessage = (e: MessageEvent) => {
      if (e.data?.type === "stop" && !this.stopped) {
        this.stopped = true;
        this.encoder.flush();
        this.port.postMessage({ type: "stopped", frames: this.frames });
      }
    };
  }

  process(inputs: Float32Array[][]): boolean {
    if (this.stopped) return false;
    const t0 = now();
    const sources = this.channels === 2 ? [inputs[0]?.[0], inputs[1]?.[0]] : [inputs[1]?.[0]];
    const length = Math.max(QUANTUM, ...sources.map((s) => s?.length ?? 0));
    if (this.silence.length < length) this.silence = new Float32Array(length);
    const out = sources.map((s, c) => {
      const block = s ?? this.silence.subarray(0, length);
      // The resampler's result is a view valid until its next call: one resampler per channel.
      return this.resamplers[c].process(block);
    });
    this.encoder.push(out);
    this.cpuMs += now() - t0;
    this.samples += length;
    this.sinceStats += length;
    if (this.sinceStats >= sampleRate) {
      this.sinceStats = 0;
      this.port.postMessage({ type: "stats", ...this.stats() });
    }
    return true;
  }

  private stats(): { frames: number; cpuMsPerAudioSecond: number } {
    const seconds = this.samples / sampleRate;
    return { frames: this.frames, cpuMsPerAudioSecond: seconds > 0 ? this.cpuMs / seconds : 0 };
  }
}

registerProcessor("helix-capture", HelixCapture);
