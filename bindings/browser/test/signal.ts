// Signal helpers the resampler tests share: tone generation and measurement.

export function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

export function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / x.length);
}

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** Amplitude of the `freq` component (Goertzel), for a stretch holding whole-ish cycles. */
export function goertzelAmplitude(x: Float32Array, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.hypot(re, im)) / x.length;
}

/** Frequency from the first to the last rising zero crossing (linearly interpolated). */
export function zeroCrossingFrequency(x: Float32Array, rate: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const t = i - 1 + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return (count * rate) / (last - first);
}

/** The output with the filter's start-up (and a margin) cut off both ends. */
export function steady(x: Float32Array, rate: number): Float32Array {
  const cut = Math.round(rate * 0.05);
  return x.slice(cut, x.length - cut);
}
