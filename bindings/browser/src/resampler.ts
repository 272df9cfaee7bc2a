/**
 * Streaming resampler from the AudioContext's rate (8–192 kHz, integer Hz) to 16 kHz, the rate
 * the sidecar's speech-to-text takes.
 *
 * Why this design:
 * - Dropping or averaging samples (48 k → 16 k by taking every third) folds everything between
 *   8 and 24 kHz back into the speech band as audible aliasing, and does not work at all for
 *   44.1 kHz (Chrome picks the output device's rate, and 44.1 kHz is seen in practice). So each
 *   output sample is a windowed-sinc low-pass evaluated at its exact, fractional position in the
 *   input: one filter for every ratio, integer (48 k → 16 k) or not (44.1 k → 16 k = 441/160).
 * - Kaiser window, designed in Hz rather than in taps so every input rate gets the same
 *   response: passband edge 7.3 kHz, stopband edge 7.9 kHz (cutoff 7.6 kHz, the -6 dB point),
 *   70 dB design attenuation (β = 6.76). The half-length in input samples follows Kaiser's
 *   formula and scales with the input rate: 173 taps per side at 48 kHz, 159 at 44.1 kHz,
 *   692 at 192 kHz (≈ 11 M multiply-adds per second of stereo audio at 48 kHz).
 *   Below 16.8 kHz input the band edges move down to 45 % / 50 % of the input rate (the filter
 *   then interpolates instead of decimating).
 * - Measured by `test/resampler.test.ts` (48 kHz → 16 kHz unless said): a 1 kHz tone keeps
 *   its level within 0.0001 dB and its frequency within 1e-7 Hz (also at 44.1 kHz); a 7.9 kHz
 *   tone (the stopband edge) comes out 71 dB down; tones at 8–20 kHz, which would alias into
 *   the speech band, come out ≥ 79 dB down (48 k and 44.1 k); 100 Hz–7 kHz is flat within
 *   0.1 dB. Cost under Node 20 on the development machine: ≈ 17 ms of CPU per second of
 *   audio per channel at 48 kHz (74 ms at 192 kHz).
 * - The kernel is tabulated once (256 points per input sample, linearly interpolated; by
 *   estimate the interpolation error is below -100 dB) so the audio thread only multiply-adds.
 * - Position is tracked exactly (an integer sample index plus a phase numerator over the
 *   reduced ratio's denominator), never by adding a float step, so the output does not drift
 *   and does not depend on how the input is split into blocks: 128-sample render quanta give
 *   the same samples as one long block.
 * - Allocation-light: `process` allocates only when a block is larger than any before it;
 *   its result is a view of an internal buffer, valid until the next call.
 */

/** The output rate: what the sidecar's gateway and the speech-to-text expect. */
export const OUTPUT_RATE = 16_000;

/** Lowest and highest input rates accepted (what WebAudio implementations allow). */
export const MIN_INPUT_RATE = 8_000;
export const MAX_INPUT_RATE = 192_000;

const PASS_EDGE_HZ = 7_300;
const STOP_EDGE_HZ = 7_900;
const ATTENUATION_DB = 70;
/** Table points per input sample. */
const TABLE_STEPS = 256;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** The filter a resampler from `inputRate` uses, in Hz and input samples. */
export interface FilterDesign {
  /** -6 dB point, Hz. */
  cutoffHz: number;
  passEdgeHz: number;
  stopEdgeHz: number;
  /** Kaiser β. */
  beta: number;
  /** Taps on each side of the output position (the kernel spans 2 × halfTaps input samples). */
  halfTaps: number;
}

export function designFilter(inputRate: number): FilterDesign {
  checkRate(inputRate);
  const passEdgeHz = Math.min(PASS_EDGE_HZ, 0.45 * inputRate);
  const stopEdgeHz = Math.min(STOP_EDGE_HZ, 0.5 * inputRate);
  const transition = (2 * Math.PI * (stopEdgeHz - passEdgeHz)) / inputRate;
  // Kaiser's estimates: β for A > 50 dB, and the order N for attenuation A over a transition.
  const beta = 0.1102 * (ATTENUATION_DB - 8.7);
  const order = (ATTENUATION_DB - 7.95) / (2.285 * transition);
  return {
    cutoffHz: (passEdgeHz + stopEdgeHz) / 2,
    passEdgeHz,
    stopEdgeHz,
    beta,
    halfTaps: Math.ceil(order / 2),
  };
}

function checkRate(inputRate: number): void {
  if (
    !Number.isInteger(inputRate) ||
    inputRate < MIN_INPUT_RATE ||
    inputRate > MAX_INPUT_RATE
  ) {
    throw new RangeError(
      `inputRate must be an integer number of Hz in ${MIN_INPUT_RATE}..${MAX_INPUT_RATE}, got ${String(inputRate)}`,
    );
  }
}

export class Resampler {
  readonly inputRate: number;
  readonly design: FilterDesign;
  /** Kernel h(t) for t = i / TABLE_STEPS input samples, t in [0, halfTaps], plus zero guards. */
  private readonly table: Float32Array;
  private readonly halfTaps: number;
  /** Output step in input samples = stepNum / stepDen (reduced). */
  private readonly stepNum: number;
  private readonly stepDen: number;
  /** Input history; `buf[0 .. len)` is valid. */
  private buf: Float32Array;
  private len: number;
  /** Next output's position: buf index `pos` plus `phase / stepDen` of a sample. */
  private pos: number;
  private phase = 0;
  private out: Float32Array;

  constructor(inputRate: number) {
    this.design = designFilter(inputRate);
    this.inputRate = inputRate;
    const h = this.design.halfTaps;
    this.halfTaps = h;
    const g = gcd(inputRate, OUTPUT_RATE);
    this.stepNum = inputRate / g;
    this.stepDen = OUTPUT_RATE / g;

    const fc = this.design.cutoffHz / inputRate; // cycles per input sample
    const i0Beta = besselI0(this.design.beta);
    const n = h * TABLE_STEPS;
    this.table = new Float32Array(n + 2);
    for (let i = 0; i < n; i++) {
      const t = i / TABLE_STEPS;
      const x = 2 * Math.PI * fc * t;
      const sinc = i === 0 ? 1 : Math.sin(x) / x;
      const r = t / h;
      const w = besselI0(this.design.beta * Math.sqrt(1 - r * r)) / i0Beta;
      this.table[i] = 2 * fc * sinc * w;
    }

    // History starts as halfTaps of silence so the first output sits on the first input sample.
    this.buf = new Float32Array(4 * h + 1024);
    this.len = h;
    this.pos = h;
    this.out = new Float32Array(Math.ceil(1024 / this.stepNum * this.stepDen) + 2);
  }

  /**
   * Feeds `block` (any length) and returns every output sample it completes. The result is a
   * view of an internal buffer: copy it before the next call if it must be kept.
   */
  process(block: Float32Array): Float32Array {
    const h = this.halfTaps;
    if (this.len + block.length > this.buf.length) {
      const grown = new Float32Array(this.len + block.length + 2 * h);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(block, this.len);
    this.len += block.length;

    const maxOut = Math.ceil(((block.length + 1) * this.stepDen) / this.stepNum) + 1;
    if (this.out.length < maxOut) this.out = new Float32Array(maxOut);

    const buf = this.buf;
    const table = this.table;
    const den = this.stepDen;
    const num = this.stepNum;
    let pos = this.pos;
    let phase = this.phase;
    let count = 0;
    // Output at pos + frac needs buf[pos - h + 1 .. pos + h].
    while (pos + h < this.len) {
      const frac = phase / den;
      let acc = 0;
      // Taps at and before the position: t = frac + m.
      let idx = frac * TABLE_STEPS;
      for (let m = 0; m < h; m++, idx += TABLE_STEPS) {
        const i = idx | 0;
        const a = table[i];
        acc += buf[pos - m] * (a + (idx - i) * (table[i + 1] - a));
      }
      // Taps after it: t = (1 - frac) + m.
      idx = (1 - frac) * TABLE_STEPS;
      for (let m = 0; m < h; m++, idx += TABLE_STEPS) {
        const i = idx | 0;
        const a = table[i];
        acc += buf[pos + 1 + m] * (a + (idx - i) * (table[i + 1] - a));
      }
      this.out[count++] = acc;
      phase += num;
      pos += Math.floor(phase / den);
      phase %= den;
    }

    // Keep only what the next outputs can reach.
    const drop = Math.max(0, Math.min(pos - h + 1, this.len));
    if (drop > 0) {
      buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      pos -= drop;
    }
    this.pos = pos;
    this.phase = phase;
    return this.out.subarray(0, count);
  }

  /** Returns to the initial state (silence history, phase 0), as after construction. */
  reset(): void {
    this.buf.fill(0, 0, this.halfTaps);
    this.len = this.halfTaps;
    this.pos = this.halfTaps;
    this.phase = 0;
  }
}
