import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { connectAssist } from "../src/index.js";

/** A WebSocket stand-in the test drives: it opens, receives and drops when told to. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  bufferedAmount = 0;
  binaryType = "blob";
  sent: Array<string | ArrayBuffer> = [];
  closedWith: number | undefined;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string | ArrayBuffer): void {
    assert.equal(this.readyState, 1, "send on a socket that is not open");
    this.sent.push(data);
  }
  close(code?: number): void {
    if (this.readyState === 3) return;
    this.closedWith = code;
    this.readyState = 3;
    this.onclose?.({ code });
  }
  // Test side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(event: string, data: unknown = {}): void {
    this.onmessage?.({ data: JSON.stringify({ event, data }) });
  }
  drop(): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code: 1006 });
  }
  texts(): Array<{ event: string; data?: any }> {
    return this.sent.filter((s): s is string => typeof s === "string").map((s) => JSON.parse(s));
  }
  frames(): ArrayBuffer[] {
    return this.sent.filter((s): s is ArrayBuffer => s instanceof ArrayBuffer);
  }
}

const WS = FakeSocket as unknown as typeof WebSocket;
const frame = (tag: number): ArrayBuffer => new Uint8Array(1280).fill(tag).buffer;
const tagOf = (f: string | ArrayBuffer): number | string => (typeof f === "string" ? JSON.parse(f).event : new Uint8Array(f)[0]);
const last = (): FakeSocket => FakeSocket.instances[FakeSocket.instances.length - 1];

function fresh(): void {
  FakeSocket.instances = [];
}

test("frames wait for `started`, then go out in order after `start`; later frames go straight out", () => {
  fresh();
  const audio = { encoding: "linear16" as const, sampleRate: 16000, channels: 2 };
  const conn = connectAssist("ws://gw/api/assist", { lead: { name: "Asha" }, audio, WebSocket: WS });
  const ws = last();
  assert.equal(ws.url, "ws://gw/api/assist");
  assert.equal(ws.binaryType, "arraybuffer");
  conn.sendFrame(frame(1)); // not even open yet
  ws.open();
  assert.deepEqual(ws.texts(), [{ event: "start", data: { lead: { name: "Asha" }, audio } }]);
  conn.sendFrame(frame(2)); // open, not started: the gateway would answer NOT_STARTED
  assert.equal(ws.frames().length, 0);
  assert.deepEqual(conn.stats(), { sent: 0, dropped: 0, reconnects: 0, buffered: 2 });
  ws.receive("started");
  conn.sendFrame(frame(3));
  assert.deepEqual(ws.sent.map(tagOf), ["start", 1, 2, 3]);
  assert.deepEqual(conn.stats(), { sent: 3, dropped: 0, reconnects: 0, buffered: 0 });
  conn.close();
});

test("the buffer is bounded: frames beyond maxBufferedFrames are dropped and counted, the oldest kept", () => {
  fresh();
  const conn = connectAssist("ws://gw", { maxBufferedFrames: 2, WebSocket: WS });
  for (let i = 1; i <= 5; i++) conn.sendFrame(frame(i));
  assert.deepEqual(conn.stats(), { sent: 0, dropped: 3, reconnects: 0, buffered: 2 });
  last().open();
  last().receive("started");
  assert.deepEqual(last().frames().map(tagOf), [1, 2]);
  assert.deepEqual(conn.stats(), { sent: 2, dropped: 3, reconnects: 0, buffered: 0 });
  conn.close();
});

test("a slow socket counts too: past the bound in bufferedAmount, frames are dropped", () => {
  fresh();
  const conn = connectAssist("ws://gw", { maxBufferedFrames: 4, WebSocket: WS });
  last().open();
  last().receive("started");
  last().bufferedAmount = 4 * 1280 + 1;
  conn.sendFrame(frame(1));
  last().bufferedAmount = 0;
  conn.sendFrame(frame(2));
  assert.deepEqual(last().frames().map(tagOf), [2]);
  assert.equal(conn.stats().dropped, 1);
  conn.close();
});

test("no start without `start`: a string is not a frame and audio must be an ArrayBuffer", () => {
  fresh();
  const conn = connectAssist("ws://gw", { WebSocket: WS });
  assert.throws(() => conn.sendFrame("x" as unknown as ArrayBuffer), TypeError);
  assert.throws(() => conn.hold("yes" as unknown as boolean), TypeError);
  assert.throws(() => connectAssist("", { WebSocket: WS }), TypeError);
  assert.throws(() => connectAssist("ws://gw", { maxBufferedFrames: -1, WebSocket: WS }), RangeError);
  conn.close();
});

test("reconnect: a new socket re-sends `start` with the latest lead, restores hold, flushes only after `started`", () => {
  fresh();
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const events: string[] = [];
    const conn = connectAssist("ws://gw", {
      lead: { name: "Asha" },
      reconnect: { minDelayMs: 100 },
      onEvent: (e) => events.push(e.event),
      WebSocket: WS,
    });
    const first = last();
    first.open();
    first.receive("started");
    conn.sendFrame(frame(1));
    first.drop();
    // During the outage: a new lead, hold on, more audio.
    conn.updateLead({ name: "Asha K", status: "follow-up" });
    conn.hold(true);
    conn.sendFrame(frame(2));
    conn.sendFrame(frame(3));
    assert.equal(FakeSocket.instances.length, 1);
    assert.equal(first.texts().length, 1, "nothing sent on the dead socket");
    mock.timers.tick(100);
    assert.equal(FakeSocket.instances.length, 2);
    const second = last();
    second.open();
    assert.deepEqual(second.texts(), [{ event: "start", data: { lead: { name: "Asha K", status: "follow-up" } } }]);
    assert.equal(second.frames().length, 0, "no audio before the new session's `started`");
    second.receive("started");
    assert.deepEqual(second.sent.map(tagOf), ["start", "hold", 2, 3]);
    assert.deepEqual(second.texts()[1], { event: "hold", data: { on: true } });
    assert.deepEqual(conn.stats(), { sent: 3, dropped: 0, reconnects: 1, buffered: 0 });
    // Control messages while started go out at once.
    conn.updateLead({ name: "B" });
    conn.hold(false);
    assert.deepEqual(second.texts().slice(2), [
      { event: "lead", data: { lead: { name: "B" } } },
      { event: "hold", data: { on: false } },
    ]);
    assert.deepEqual(events, ["started", "started"]);
    conn.close();
  } finally {
    mock.timers.reset();
  }
});

test("backoff doubles from minDelayMs up to maxDelayMs, resets after `started`, and gives up after maxAttempts", () => {
  fresh();
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const events: Array<{ event: string; data: any }> = [];
    const conn = connectAssist("ws://gw", {
      reconnect: { minDelayMs: 100, maxDelayMs: 400, maxAttempts: 5 },
      onEvent: (e) => events.push(e),
      WebSocket: WS,
    });
    const waitFor = (ms: number): void => {
      const before = FakeSocket.instances.length;
      last().drop();
      mock.timers.tick(ms - 1);
      assert.equal(FakeSocket.instances.length, before, `no socket before ${ms} ms`);
      mock.timers.tick(1);
      assert.equal(FakeSocket.instances.length, before + 1, `a socket at ${ms} ms`);
    };
    waitFor(100);
    waitFor(200);
    waitFor(400);
    waitFor(400);
    // A session started: the next drop starts from minDelayMs again.
    last().open();
    last().receive("started");
    waitFor(100);
    assert.equal(conn.stats().reconnects, 5);
    waitFor(200);
    waitFor(400);
    waitFor(400);
    waitFor(400);
    // Fifth failure in a row: no more sockets, one CLOSED error for the host.
    last().drop();
    mock.timers.tick(10_000);
    assert.equal(FakeSocket.instances.length, 10);
    assert.deepEqual(events.at(-1)?.event, "error");
    assert.equal(events.at(-1)?.data.code, "CLOSED");
    conn.sendFrame(frame(1));
    assert.equal(conn.stats().dropped, 1);
  } finally {
    mock.timers.reset();
  }
});

test("stop → `stop` after the flush, resolves with the summary, and the socket closes without reconnecting", async () => {
  fresh();
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const conn = connectAssist("ws://gw", { WebSocket: WS });
    conn.sendFrame(frame(7));
    const ws = last();
    ws.open();
    const done = conn.stop();
    assert.equal(conn.stop(), done, "a second stop is the same promise");
    assert.deepEqual(ws.texts().map((t) => t.event), ["start"], "stop waits for the session");
    ws.receive("started");
    assert.deepEqual(ws.sent.map(tagOf), ["start", 7, "stop"]);
    const summary = { transcript: { segments: [] }, duration: 1234 };
    ws.receive("closed", { type: "closed", ...summary });
    ws.receive("summary", summary);
    assert.deepEqual(await done, summary);
    assert.equal(ws.closedWith, 1000);
    mock.timers.tick(60_000);
    assert.equal(FakeSocket.instances.length, 1, "no reconnect after the summary");
  } finally {
    mock.timers.reset();
  }
});

test("a drop while stopping rejects stop() (the summary is gone with the socket); close() rejects it too", async () => {
  fresh();
  const conn = connectAssist("ws://gw", { WebSocket: WS });
  last().open();
  last().receive("started");
  const done = conn.stop();
  last().drop();
  await assert.rejects(done, (e: Error & { code?: string }) => e.code === "CLOSED");
  assert.equal(FakeSocket.instances.length, 1, "no new, empty session");

  fresh();
  const other = connectAssist("ws://gw", { WebSocket: WS });
  last().open();
  const pending = other.stop();
  other.close();
  await assert.rejects(pending, (e: Error & { code?: string }) => e.code === "CLOSED");
  await assert.rejects(other.stop(), (e: Error & { code?: string }) => e.code === "CLOSED");
});

test("every gateway event reaches onEvent as sent; junk text and binary are ignored", () => {
  fresh();
  const events: Array<{ event: string; data: any }> = [];
  const conn = connectAssist("ws://gw", { onEvent: (e) => events.push(e), WebSocket: WS });
  const ws = last();
  ws.open();
  ws.onmessage?.({ data: "not json" });
  ws.onmessage?.({ data: new ArrayBuffer(4) });
  ws.onmessage?.({ data: "[1,2]" });
  ws.receive("error", { code: "BAD_JSON", message: "x" });
  const seg = { speaker: "customer", channel: 1, start: 0, end: 1, text: "hi" };
  ws.receive("transcript", { type: "transcript", segment: seg, isFinal: true });
  assert.deepEqual(events, [
    { event: "error", data: { code: "BAD_JSON", message: "x" } },
    { event: "transcript", data: { type: "transcript", segment: seg, isFinal: true } },
  ]);
  conn.close();
  assert.equal(ws.closedWith, 1000);
});
