/**
 * 16 kHz float samples → 20 ms frames of interleaved linear16 little-endian, the gateway's
 * binary frame format.
 *
 * Channel 0 is the agent (the microphone), channel 1 the customer (the remote WebRTC track):
 * the library's default speaker order. Mono carries one channel only (the remote party).
 */

/** Samples per channel in one 20 ms frame at 16 kHz. */
export const FRAME_SAMPLES = 320;

export interface FrameEncoderOptions {
  /** 2 (agent, customer) or 1 (the remote party only). */
  channels: 1 | 2;
  /** Called with each complete frame; the buffer is the caller's (transfer it freely). */
  onFrame: (frame: ArrayBuffer) => void;
}

/** Float sample → Int16: clipped to [-1, 1], NaN as silence, rounded half away from zero. */
export function toInt16(x: number): number {
  if (!(x === x)) return 0; // NaN
  const v = (x > 1 ? 1 : x < -1 ? -1 : x) * 32767;
  // Symmetric rounding: +x and -x give opposite codes (Math.round alone rounds -0.5 up).
  return v < 0 ? 0 - Math.round(-v) : Math.round(v); // 0 - …: never -0
}

export class FrameEncoder {
  readonly channels: 1 | 2;
  /** Bytes in one frame: 1280 stereo, 640 mono. */
  readonly frameBytes: number;
  private readonly onFrame: (frame: ArrayBuffer) => void;
  private frame: ArrayBuffer;
  // DataView writes little-endian whatever the host's byte order.
  private view: DataView;
  /** Samples per channel already in `frame`. */
  private filled = 0;

  constructor(options: FrameEncoderOptions) {
    const channels = options?.channels;
    if (channels !== 1 && channels !== 2) {
      throw new RangeError(`channels must be 1 or 2, got ${String(channels)}`);
    }
    if (typeof options.onFrame !== "function") {
      throw new TypeError("onFrame must be a function");
    }
    this.channels = channels;
    this.frameBytes = FRAME_SAMPLES * channels * 2;
    this.onFrame = options.onFrame;
    this.frame = new ArrayBuffer(this.frameBytes);
    this.view = new DataView(this.frame);
  }

  /** Samples per channel waiting for the rest of their frame. */
  get pending(): number {
    return this.filled;
  }

  /**
   * Appends one stretch of audio: `input[c]` holds channel c's samples for the same span of
   * time. The span is as long as the longest channel given; a channel that is missing
   * (undefined or null: no input yet, a track that ended) or shorter is silence for the rest,
   * so one side never stalls the other. Returns how many frames were emitted.
   */
  push(input: ReadonlyArray<Float32Array | null | undefined>): number {
    if (input.length > this.channels) {
      throw new RangeError(
        `input has ${input.length} channels, the encoder was built for ${this.channels}`,
      );
    }
    const a = input[0] ?? undefined;
    const b = this.channels === 2 ? (input[1] ?? undefined) : undefined;
    const n = Math.max(a?.length ?? 0, b?.length ?? 0);
    const stride = this.channels * 2;
    let emitted = 0;
    for (let i = 0; i < n; i++) {
      const off = this.filled * stride;
      this.view.setInt16(off, a !== undefined && i < a.length ? toInt16(a[i]) : 0, true);
      if (this.channels === 2) {
        this.view.setInt16(off + 2, b !== undefined && i < b.length ? toInt16(b[i]) : 0, true);
      }
      if (++this.filled === FRAME_SAMPLES) {
        this.emit();
        emitted++;
      }
    }
    return emitted;
  }

  /** Emits the partial frame, if any, padded with silence to a full 20 ms. */
  flush(): number {
    if (this.filled === 0) return 0;
    // A new frame buffer is all zeros, so the unwritten tail is already silence.
    this.emit();
    return 1;
  }

  private emit(): void {
    const full = this.frame;
    this.frame = new ArrayBuffer(this.frameBytes);
    this.view = new DataView(this.frame);
    this.filled = 0;
    this.onFrame(full);
  }
}
