import { test } from "node:test";
import assert from "node:assert/strict";
import { Resampler, designFilter, OUTPUT_RATE } from "../src/index.js";
import { db, goertzelAmplitude, rms, steady, tone, zeroCrossingFrequency } from "./signal.js";

function resampleAll(rate: number, input: Float32Array, block = input.length): Float32Array {
  const r = new Resampler(rate);
  const parts: number[] = [];
  for (let i = 0; i < input.length; i += block) {
    parts.push(...r.process(input.subarray(i, i + block)));
  }
  return Float32Array.from(parts);
}

for (const rate of [48_000, 44_100]) {
  test(`a 1 kHz tone at ${rate} Hz keeps its frequency and level at 16 kHz`, () => {
    const input = tone(1000, rate, 2);
    const out = resampleAll(rate, input, 128);
    // One output per 1/16000 s of input, less the filter's look-ahead at the end.
    const expected = Math.floor((input.length * OUTPUT_RATE) / rate);
    assert.ok(out.length <= expected && out.length >= expected - 200, `${out.length} outputs`);
    const body = steady(out, OUTPUT_RATE);
    const freq = zeroCrossingFrequency(body, OUTPUT_RATE);
    const levelDb = db(rms(body) / rms(steady(input, rate)));
    console.log(`${rate} Hz: frequency error ${(freq - 1000).toExponential(2)} Hz, level error ${levelDb.toFixed(5)} dB`);
    assert.ok(Math.abs(freq - 1000) < 0.5, `frequency ${freq}`);
    assert.ok(Math.abs(levelDb) < 0.5, `level error ${levelDb} dB`);
    // And the energy is at 1 kHz, not spread: Goertzel at 1 kHz holds the whole amplitude.
    const amp = goertzelAmplitude(body.subarray(0, 16_000), 1000, OUTPUT_RATE);
    assert.ok(Math.abs(db(amp / 0.5)) < 0.5, `1 kHz amplitude ${amp}`);
  });
}

test("a 7.9 kHz tone at 48 kHz is attenuated by at least 40 dB", () => {
  const body = steady(resampleAll(48_000, tone(7900, 48_000, 1)), OUTPUT_RATE);
  const attenuation = -db(rms(body) / (0.5 / Math.SQRT2));
  console.log(`7.9 kHz at 48 kHz: attenuated ${attenuation.toFixed(1)} dB`);
  assert.ok(attenuation >= 40, `attenuated only ${attenuation} dB`);
});

for (const rate of [48_000, 44_100]) {
  test(`tones above 8 kHz at ${rate} Hz do not alias into the speech band (>= 60 dB down)`, () => {
    let worst = Infinity;
    for (const f of [8_000, 8_500, 10_000, 12_000, 15_000, 20_000]) {
      const body = steady(resampleAll(rate, tone(f, rate, 0.5)), OUTPUT_RATE);
      const attenuation = -db(rms(body) / (0.5 / Math.SQRT2));
      worst = Math.min(worst, attenuation);
      assert.ok(attenuation >= 60, `${f} Hz: attenuated only ${attenuation} dB`);
    }
    console.log(`${rate} Hz: worst attenuation 8–20 kHz ${worst.toFixed(1)} dB`);
  });
}

test("the passband is flat to 7 kHz (within 0.1 dB)", () => {
  for (const f of [100, 300, 3_400, 6_000, 7_000]) {
    const body = steady(resampleAll(48_000, tone(f, 48_000, 0.5)), OUTPUT_RATE);
    const err = db(rms(body) / (0.5 / Math.SQRT2));
    assert.ok(Math.abs(err) < 0.1, `${f} Hz: level error ${err} dB`);
  }
});

for (const rate of [48_000, 44_100, 22_050, 8_000]) {
  test(`blocks of 128 at ${rate} Hz give the same output as one block`, () => {
    // Broadband input (a chirp plus noise-like content) so every tap matters.
    const n = rate;
    const input = new Float32Array(n);
    let seed = 1;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      input[i] = 0.3 * Math.sin((Math.PI * 3000 * i * i) / (n * rate)) + 0.2 * (seed / 0x7fffffff - 0.5);
    }
    const whole = resampleAll(rate, input);
    for (const block of [128, 1, 37, 4096]) {
      const split = resampleAll(rate, input, block);
      assert.equal(split.length, whole.length, `block ${block}`);
      let maxDiff = 0;
      for (let i = 0; i < whole.length; i++) maxDiff = Math.max(maxDiff, Math.abs(split[i] - whole[i]));
      assert.ok(maxDiff <= 1e-6, `block ${block}: max difference ${maxDiff}`);
    }
  });
}

test("upsampling from 8 kHz keeps a 1 kHz tone", () => {
  const body = steady(resampleAll(8_000, tone(1000, 8_000, 1), 128), OUTPUT_RATE);
  assert.ok(Math.abs(zeroCrossingFrequency(body, OUTPUT_RATE) - 1000) < 0.5);
  assert.ok(Math.abs(db(rms(body) / (0.5 / Math.SQRT2))) < 0.5);
});

test("the filter is designed in Hz: every rate gets the same band edges", () => {
  for (const rate of [44_100, 48_000, 96_000, 192_000]) {
    const d = designFilter(rate);
    assert.equal(d.passEdgeHz, 7_300);
    assert.equal(d.stopEdgeHz, 7_900);
    assert.equal(d.cutoffHz, 7_600);
  }
  assert.equal(designFilter(48_000).halfTaps, 173);
  assert.equal(designFilter(44_100).halfTaps, 159);
});

test("bad rates are refused with a RangeError naming inputRate", () => {
  for (const rate of [0, 7_999, 192_001, 44_100.5, Number.NaN]) {
    assert.throws(() => new Resampler(rate), (e: unknown) => e instanceof RangeError && /inputRate/.test(e.message));
  }
});

test("reset returns to the initial state", () => {
  const r = new Resampler(44_100);
  const input = tone(440, 44_100, 0.1);
  const first = Float32Array.from(r.process(input));
  r.process(tone(3000, 44_100, 0.05));
  r.reset();
  assert.deepEqual(Float32Array.from(r.process(input)), first);
});

test("silence in, silence out; the returned view is reused, not reallocated", () => {
  const r = new Resampler(48_000);
  const a = r.process(new Float32Array(128));
  const b = r.process(new Float32Array(128));
  assert.equal(a.buffer, b.buffer);
  assert.ok(b.every((v) => v === 0));
});
