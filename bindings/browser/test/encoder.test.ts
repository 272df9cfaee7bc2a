import { test } from "node:test";
import assert from "node:assert/strict";
import { FRAME_SAMPLES, FrameEncoder, toInt16 } from "../src/index.js";

function collect(channels: 1 | 2): { enc: FrameEncoder; frames: ArrayBuffer[] } {
  const frames: ArrayBuffer[] = [];
  return { enc: new FrameEncoder({ channels, onFrame: (f) => frames.push(f) }), frames };
}

const fill = (n: number, v: number): Float32Array => new Float32Array(n).fill(v);
const bytes = (f: ArrayBuffer, from: number, to: number): number[] => [...new Uint8Array(f, from, to - from)];

test("a frame is 20 ms: 320 samples per channel, 1280 bytes stereo, 640 mono", () => {
  assert.equal(FRAME_SAMPLES, 320);
  const stereo = collect(2);
  assert.equal(stereo.enc.push([fill(320, 0.1), fill(320, 0.2)]), 1);
  assert.equal(stereo.frames.length, 1);
  assert.equal(stereo.frames[0].byteLength, 1280);
  assert.equal(stereo.enc.frameBytes, 1280);
  const mono = collect(1);
  assert.equal(mono.enc.push([fill(320, 0.1)]), 1);
  assert.equal(mono.frames[0].byteLength, 640);
  assert.equal(mono.enc.frameBytes, 640);
});

test("known samples give known little-endian bytes, agent on channel 0, customer on channel 1", () => {
  const { enc, frames } = collect(2);
  const agent = new Float32Array(320);
  const customer = new Float32Array(320);
  agent[0] = 0.5; // round(16383.5) = 16384 = 0x4000
  customer[0] = -0.25; // -round(8191.75) = -8192 = 0xE000
  agent[1] = 1 / 32767; // 1 = 0x0001
  customer[1] = -1; // -32767 = 0x8001
  enc.push([agent, customer]);
  assert.deepEqual(bytes(frames[0], 0, 8), [0x00, 0x40, 0x00, 0xe0, 0x01, 0x00, 0x01, 0x80]);
  // The rest is silence.
  assert.ok(new Uint8Array(frames[0], 8).every((b) => b === 0));
});

test("samples are clipped to [-1, 1] and rounded symmetrically; NaN is silence", () => {
  assert.equal(toInt16(1), 32767);
  assert.equal(toInt16(-1), -32767);
  assert.equal(toInt16(3.5), 32767);
  assert.equal(toInt16(-7), -32767);
  assert.equal(toInt16(Infinity), 32767);
  assert.equal(toInt16(-Infinity), -32767);
  assert.equal(toInt16(Number.NaN), 0);
  assert.equal(toInt16(0.5 / 32767), 1);
  assert.equal(toInt16(-0.5 / 32767), -1);
  assert.equal(toInt16(0.4 / 32767), 0);
  for (const x of [0.1, 0.33, 0.5, 0.77, 0.999]) assert.equal(toInt16(-x), -toInt16(x));

  const { enc, frames } = collect(2);
  enc.push([fill(320, 2), fill(320, -2)]);
  const view = new DataView(frames[0]);
  for (let i = 0; i < 320; i++) {
    assert.equal(view.getInt16(i * 4, true), 32767);
    assert.equal(view.getInt16(i * 4 + 2, true), -32767);
  }
});

test("a partial frame carries over to the next call", () => {
  const { enc, frames } = collect(2);
  // 128-sample pieces, as the render quantum delivers them after resampling: sample k has value k.
  const total = 1000;
  const ramp = (from: number, n: number, sign: number) =>
    Float32Array.from({ length: n }, (_, i) => (sign * (from + i)) / 32767);
  for (let at = 0; at < total; at += 128) {
    const n = Math.min(128, total - at);
    enc.push([ramp(at, n, 1), ramp(at, n, -1)]);
  }
  assert.equal(frames.length, 3);
  assert.equal(enc.pending, total - 3 * 320);
  const seen: number[] = [];
  for (const f of frames) {
    const view = new DataView(f);
    for (let i = 0; i < 320; i++) {
      const a = view.getInt16(i * 4, true);
      assert.equal(view.getInt16(i * 4 + 2, true) + a, 0);
      seen.push(a);
    }
  }
  assert.deepEqual(seen, Array.from({ length: 960 }, (_, i) => i));
  // flush emits the remainder padded with silence.
  assert.equal(enc.flush(), 1);
  const last = new DataView(frames[3]);
  assert.equal(last.getInt16(0, true), 960);
  assert.equal(last.getInt16(39 * 4, true), 999);
  assert.equal(last.getInt16(40 * 4, true), 0);
  assert.equal(enc.pending, 0);
  assert.equal(enc.flush(), 0);
});

test("a channel with no input yet is silence, not a stall", () => {
  const { enc, frames } = collect(2);
  // Only the customer so far (the microphone has not started): frames still flow.
  enc.push([undefined, fill(320, 0.5)]);
  enc.push([null, fill(320, 0.5)]);
  assert.equal(frames.length, 2);
  for (const f of frames) {
    const view = new DataView(f);
    for (let i = 0; i < 320; i++) {
      assert.equal(view.getInt16(i * 4, true), 0);
      assert.equal(view.getInt16(i * 4 + 2, true), 16384);
    }
  }
  // The agent only (the remote track ended), and a shorter channel padded with silence.
  enc.push([fill(320, 0.5)]);
  enc.push([fill(320, 0.5), fill(100, 0.5)]);
  const third = new DataView(frames[2]);
  assert.equal(third.getInt16(0, true), 16384);
  assert.equal(third.getInt16(2, true), 0);
  const fourth = new DataView(frames[3]);
  assert.equal(fourth.getInt16(99 * 4 + 2, true), 16384);
  assert.equal(fourth.getInt16(100 * 4 + 2, true), 0);
  assert.equal(fourth.getInt16(100 * 4, true), 16384);
});

test("mono carries one channel, no interleaving", () => {
  const { enc, frames } = collect(1);
  enc.push([Float32Array.from({ length: 320 }, (_, i) => i / 32767)]);
  const view = new DataView(frames[0]);
  for (let i = 0; i < 320; i++) assert.equal(view.getInt16(i * 2, true), i);
});

test("each frame is a fresh buffer the receiver may keep or transfer", () => {
  const { enc, frames } = collect(2);
  enc.push([fill(640, 0.25), fill(640, 0.25)]);
  assert.equal(frames.length, 2);
  assert.notEqual(frames[0], frames[1]);
  enc.push([fill(320, -0.25), fill(320, -0.25)]);
  assert.equal(new DataView(frames[0]).getInt16(0, true), 8192);
});

test("bad options and too many channels are refused, naming what is wrong", () => {
  const onFrame = () => {};
  assert.throws(() => new FrameEncoder({ channels: 3 as 2, onFrame }), /channels must be 1 or 2/);
  assert.throws(() => new FrameEncoder({ channels: 2, onFrame: undefined as never }), /onFrame/);
  const mono = new FrameEncoder({ channels: 1, onFrame });
  assert.throws(() => mono.push([fill(10, 0), fill(10, 0)]), /input has 2 channels/);
});
