/**
 * `connectAssist`: the browser's WebSocket to the sidecar's live-assist gateway
 * (`docs/assist-gateway.md`). Binary audio frames out, `{ event, data }` events in.
 *
 * Why it is built this way:
 * - The gateway refuses audio before `started` (`NOT_STARTED`), and a new socket (a reconnect
 *   included) has no session. So frames are held in a buffer until `started` arrives on the
 *   current socket, then flushed in order. The buffer is bounded (`maxBufferedFrames`, 5 s of
 *   20 ms frames by default): beyond it a frame is dropped and counted, never kept, so a dead
 *   gateway cannot grow the page's memory. The same bound applies to the socket's own
 *   `bufferedAmount` once started (a slow link).
 * - A dropped socket reconnects with exponential backoff (`minDelayMs` doubling up to
 *   `maxDelayMs`), re-sends `start` with the latest lead (an `updateLead` during the outage is
 *   not lost) and the hold state, and flushes what was buffered only after the new `started`.
 *   The gateway opens a new session then; the transcript store de-duplicates anything it
 *   repeats.
 * - `stop()` resolves with the `summary`. Closing the socket discards a session's summary, so
 *   a drop while stopping rejects rather than starting a fresh, empty session.
 */
import type { CallSummary } from "./protocol.js";
import type { GatewayMessage } from "./protocol.js";

export interface AssistClientOptions {
  /** Sent with `start` (and again on every reconnect, replaced by `updateLead`). */
  lead?: unknown;
  /** Sent with `start`; the gateway's default is 16 kHz stereo linear16. */
  audio?: { encoding: "linear16"; sampleRate: number; channels: number };
  /** Frames held while not started (default 250 = 5 s); beyond: dropped and counted. */
  maxBufferedFrames?: number;
  reconnect?: { minDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /** Every event from the gateway, and the client's own `error { code: 'CLOSED' }` when it gives up. */
  onEvent?: (event: { event: string; data: any }) => void;
  /** The WebSocket class (default: the global one); injectable for tests. */
  WebSocket?: typeof WebSocket;
}

export interface AssistConnection {
  /** Sends one binary frame; buffered until `started`, bounded. */
  sendFrame(frame: ArrayBuffer): void;
  hold(on: boolean): void;
  updateLead(lead: unknown): void;
  /** Sends `stop` (after flushing what is buffered); resolves with the summary. */
  stop(): Promise<unknown>;
  /** Closes the socket for good (no reconnect); a pending `stop()` rejects. */
  close(): void;
  stats(): { sent: number; dropped: number; reconnects: number; buffered: number };
}

const DEFAULT_MAX_BUFFERED = 250;
const DEFAULT_MIN_DELAY = 250;
const DEFAULT_MAX_DELAY = 10_000;
// WebSocket.OPEN; read from the constant so an injected class without statics still works.
const OPEN = 1;

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

export function connectAssist(url: string, options: AssistClientOptions = {}): AssistConnection {
  if (typeof url !== "string" || url === "") throw new TypeError("url must be a non-empty string");
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (typeof Ctor !== "function") throw new TypeError("no WebSocket class: pass options.WebSocket");
  const maxBuffered = positiveInt(options.maxBufferedFrames, DEFAULT_MAX_BUFFERED, "maxBufferedFrames");
  const minDelay = positiveInt(options.reconnect?.minDelayMs, DEFAULT_MIN_DELAY, "reconnect.minDelayMs");
  const maxDelay = Math.max(
    minDelay,
    positiveInt(options.reconnect?.maxDelayMs, DEFAULT_MAX_DELAY, "reconnect.maxDelayMs"),
  );
  const maxAttempts = options.reconnect?.maxAttempts ?? Infinity;
  const onEvent = options.onEvent ?? (() => {});

  let lead = options.lead;
  let held = false;
  let ws: WebSocket | null = null;
  let started = false;
  let closed = false;
  /** Failed connection attempts since the last `started`. */
  let attempts = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const buffer: ArrayBuffer[] = [];
  const counts = { sent: 0, dropped: 0, reconnects: 0 };
  let stopping: { resolve: (s: unknown) => void; reject: (e: Error) => void } | null = null;
  let stopPromise: Promise<unknown> | null = null;

  const sendText = (event: string, data?: unknown): void => {
    ws?.send(JSON.stringify(data === undefined ? { event } : { event, data }));
  };

  const sendStart = (): void => {
    const data: Record<string, unknown> = {};
    if (lead !== undefined) data.lead = lead;
    if (options.audio !== undefined) data.audio = options.audio;
    sendText("start", data);
  };

  const fail = (message: string): void => {
    const err = Object.assign(new Error(message), { code: "CLOSED" });
    if (stopping) {
      stopping.reject(err);
      stopping = null;
    }
  };

  const onStarted = (): void => {
    started = true;
    attempts = 0;
    if (held) sendText("hold", { on: true });
    while (buffer.length > 0) {
      ws!.send(buffer.shift()!);
      counts.sent++;
    }
    if (stopping) sendText("stop");
  };

  const onMessage = (raw: unknown): void => {
    if (typeof raw !== "string") return; // the gateway sends text only
    let msg: GatewayMessage;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== "object" || typeof msg.event !== "string") return;
    if (msg.event === "started") onStarted();
    if (msg.event === "summary" && stopping) {
      // After the summary the session is over: no reconnect for this connection.
      const { resolve } = stopping;
      stopping = null;
      closed = true;
      ws?.close(1000);
      resolve(msg.data as CallSummary);
    }
    onEvent(msg);
  };

  const scheduleReconnect = (): void => {
    if (closed) return;
    if (attempts >= maxAttempts) {
      closed = true;
      const message = `gave up after ${attempts} reconnect attempts`;
      onEvent({ event: "error", data: { code: "CLOSED", message } });
      fail(message);
      return;
    }
    const delay = Math.min(maxDelay, minDelay * 2 ** attempts);
    attempts++;
    timer = setTimeout(() => {
      timer = null;
      counts.reconnects++;
      open();
    }, delay);
  };

  const open = (): void => {
    started = false;
    const socket = new Ctor(url);
    ws = socket;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      if (ws === socket) sendStart();
    };
    socket.onmessage = (e: MessageEvent) => {
      if (ws === socket) onMessage(e.data);
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      started = false;
      if (stopping) {
        closed = true;
        fail("the socket closed before the summary arrived");
        return;
      }
      scheduleReconnect();
    };
    // An error is always followed by close, which decides what happens next.
    socket.onerror = () => {};
  };

  open();

  return {
    sendFrame(frame: ArrayBuffer): void {
      if (!(frame instanceof ArrayBuffer)) throw new TypeError("frame must be an ArrayBuffer");
      if (closed) {
        counts.dropped++;
        return;
      }
      if (started && ws && ws.readyState === OPEN && buffer.length === 0) {
        if (ws.bufferedAmount > maxBuffered * frame.byteLength) {
          counts.dropped++;
          return;
        }
        ws.send(frame);
        counts.sent++;
        return;
      }
      if (buffer.length >= maxBuffered) {
        counts.dropped++;
        return;
      }
      buffer.push(frame);
    },
    hold(on: boolean): void {
      if (typeof on !== "boolean") throw new TypeError("on must be a boolean");
      held = on;
      if (started) sendText("hold", { on });
    },
    updateLead(next: unknown): void {
      lead = next;
      if (started) sendText("lead", { lead: next });
    },
    stop(): Promise<unknown> {
      if (stopPromise) return stopPromise;
      if (closed) return Promise.reject(Object.assign(new Error("connection closed"), { code: "CLOSED" }));
      stopPromise = new Promise((resolve, reject) => {
        stopping = { resolve, reject };
      });
      if (started) sendText("stop");
      // Otherwise `stop` follows the flush once `started` arrives.
      return stopPromise;
    },
    close(): void {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      closed = true;
      buffer.length = 0;
      fail("connection closed");
      const socket = ws;
      ws = null;
      socket?.close(1000);
    },
    stats() {
      return { ...counts, buffered: buffer.length };
    },
  };
}
