// The live-assist gateway's wire protocol (docs/assist-gateway.md), defined once: the messages a
// browser sends, the messages it receives, the error codes, and the one function that turns a raw
// WebSocket frame into a checked message. The gateway calls `parseClientMessage` for every frame.
import type { AssistEvent, AudioFormat, CallSummary, ErrorCode, LeadContext } from '@helix-engage/native'

/** The largest frame (text or binary) the gateway takes: 64 KiB, about 1 s of 16 kHz stereo linear16. */
export const MAX_FRAME_BYTES = 64 * 1024

/** The audio a session assumes when `start` names none: the library's default, 16 kHz stereo linear16. */
export const DEFAULT_AUDIO: AudioFormat = { encoding: 'linear16', sampleRate: 16_000, channels: 2 }

// ---- browser → gateway ---------------------------------------------------------------------

/** `{ event: 'start', data?: StartMessage }` opens a session for this socket. */
export interface StartMessage {
  lead?: LeadContext
  audio?: AudioFormat
  /**
   * The Ozonetel call this session serves (its UCID: letters, digits, `.`, `_`, `-`, at most 64).
   * With it, pausing the call's recording (`POST /api/ozonetel/recording`) makes the session
   * private, and the session's post-call summary becomes the call's disposition draft. One
   * running session per call.
   */
  ucid?: string
}

/** What a `start`'s `ucid` may look like (Ozonetel's are digits). */
export const UCID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

/** A checked message from the browser. Binary frames are `audio`; the rest are JSON text frames. */
export type ClientMessage =
  | { type: 'start'; data: StartMessage }
  | { type: 'audio'; chunk: Buffer }
  | { type: 'hold'; on: boolean }
  | { type: 'private'; on: boolean }
  | { type: 'lead'; lead: LeadContext }
  | { type: 'stop' }

// ---- gateway → browser ---------------------------------------------------------------------

/** The gateway's own error codes; the library's `ErrorCode`s (e.g. `AUTH` from `start`) pass through. */
export type ProtocolErrorCode =
  | 'BAD_JSON'
  | 'BAD_MESSAGE'
  | 'UNKNOWN_TYPE'
  | 'FRAME_TOO_LARGE'
  | 'ODD_FRAME'
  | 'NOT_STARTED'
  | 'ALREADY_STARTED'
  | 'CALL_IN_USE'
  | 'INTERNAL'

export interface ErrorData {
  code: ProtocolErrorCode | ErrorCode
  message: string
}

/** Every text frame the gateway sends. Session events keep the library's shape under `data`. */
export type ServerMessage =
  | { event: 'started'; data: Record<string, never> }
  | { event: 'summary'; data: CallSummary }
  | { event: 'error'; data: ErrorData }
  | { event: AssistEvent['type']; data: AssistEvent }

// ---- parsing -------------------------------------------------------------------------------

/** Where this socket's session is: what `parseClientMessage` needs to judge a frame. */
export interface ConnectionState {
  /** `starting` from a valid `start` until `started` (or its error) is sent. */
  phase: 'idle' | 'starting' | 'running'
  /** The running session's audio format (frames must hold whole sample frames of it). */
  audio: AudioFormat
}

export type Parsed = { ok: true; message: ClientMessage } | { ok: false; error: ErrorData }

const fail = (code: ProtocolErrorCode, message: string): Parsed => ({ ok: false, error: { code, message } })
const ok = (message: ClientMessage): Parsed => ({ ok: true, message })
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Bytes in one sample frame (one sample for every channel) of `audio`, or 1 where any byte count
 * is whole (containers). Defaults are the library's.
 */
export function bytesPerFrame(audio: AudioFormat): number {
  if (audio.encoding === 'container') return 1
  const channels = audio.channels ?? 2
  return audio.encoding === 'linear16' ? 2 * channels : channels
}

/** `data.audio` of a `start`, checked far enough to size frames; the library checks the rest. */
function parseAudio(audio: unknown): AudioFormat | string {
  if (!isObject(audio)) return 'start: data.audio must be an object'
  if (audio.encoding !== 'linear16' && audio.encoding !== 'mulaw' && audio.encoding !== 'container') {
    return 'start: data.audio.encoding must be "linear16", "mulaw" or "container"'
  }
  for (const field of ['sampleRate', 'channels'] as const) {
    const value = audio[field]
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
      return `start: data.audio.${field} must be a positive integer`
    }
  }
  if (audio.encoding === 'container' && audio.sampleRate !== undefined) {
    return 'start: data.audio.sampleRate is not allowed for "container" (the container carries it)'
  }
  return audio as AudioFormat
}

function parseControl(event: string, data: unknown, state: ConnectionState): Parsed {
  if (event === 'start') {
    if (state.phase !== 'idle') return fail('ALREADY_STARTED', 'a session is already running on this socket')
    if (data === undefined || data === null) return ok({ type: 'start', data: {} })
    if (!isObject(data)) return fail('BAD_MESSAGE', 'start: data must be an object')
    const start: StartMessage = {}
    if (data.lead !== undefined && data.lead !== null) {
      if (!isObject(data.lead)) return fail('BAD_MESSAGE', 'start: data.lead must be an object')
      start.lead = data.lead as LeadContext
    }
    if (data.audio !== undefined && data.audio !== null) {
      const audio = parseAudio(data.audio)
      if (typeof audio === 'string') return fail('BAD_MESSAGE', audio)
      start.audio = audio
    }
    if (data.ucid !== undefined && data.ucid !== null) {
      if (typeof data.ucid !== 'string' || !UCID_PATTERN.test(data.ucid)) {
        return fail('BAD_MESSAGE', 'start: data.ucid must be a call id of 1-64 letters, digits, ".", "_" or "-"')
      }
      start.ucid = data.ucid
    }
    return ok({ type: 'start', data: start })
  }
  if (event !== 'hold' && event !== 'private' && event !== 'lead' && event !== 'stop') {
    return fail('UNKNOWN_TYPE', `unknown event ${JSON.stringify(event.slice(0, 40))}: expected start, hold, private, lead or stop`)
  }
  if (state.phase !== 'running') return fail('NOT_STARTED', `${event}: send start and wait for started first`)
  if (event === 'stop') return ok({ type: 'stop' })
  if (event === 'hold') {
    if (!isObject(data) || typeof data.on !== 'boolean') return fail('BAD_MESSAGE', 'hold: data.on must be true or false')
    return ok({ type: 'hold', on: data.on })
  }
  if (event === 'private') {
    if (!isObject(data) || typeof data.on !== 'boolean') return fail('BAD_MESSAGE', 'private: data.on must be true or false')
    return ok({ type: 'private', on: data.on })
  }
  if (!isObject(data) || !isObject(data.lead)) return fail('BAD_MESSAGE', 'lead: data.lead must be an object')
  return ok({ type: 'lead', lead: data.lead as LeadContext })
}

/**
 * Check one WebSocket frame: a binary frame is audio for the running session (whole sample
 * frames of its format, at most `MAX_FRAME_BYTES`); a text frame is `{event, data}` JSON naming a
 * control message valid in `state`. Never throws: a bad frame gives an `ErrorData` to send back.
 */
export function parseClientMessage(raw: Buffer, isBinary: boolean, state: ConnectionState): Parsed {
  if (raw.length > MAX_FRAME_BYTES) {
    return fail('FRAME_TOO_LARGE', `frame of ${raw.length} bytes: the limit is ${MAX_FRAME_BYTES}`)
  }
  if (isBinary) {
    if (state.phase !== 'running') return fail('NOT_STARTED', 'audio: send start and wait for started first')
    const unit = bytesPerFrame(state.audio)
    if (raw.length === 0 || raw.length % unit !== 0) {
      return fail('ODD_FRAME', `audio frame of ${raw.length} bytes: send whole sample frames of ${unit} bytes (${state.audio.encoding}, ${state.audio.encoding === 'container' ? 1 : (state.audio.channels ?? 2)} channels)`)
    }
    return ok({ type: 'audio', chunk: raw })
  }
  let message: unknown
  try {
    message = JSON.parse(raw.toString('utf8'))
  } catch {
    return fail('BAD_JSON', 'text frames must be JSON: {"event": ..., "data": ...}')
  }
  if (!isObject(message) || typeof message.event !== 'string') {
    return fail('BAD_MESSAGE', 'text frames must be a JSON object with a string "event"')
  }
  return parseControl(message.event, message.data, state)
}
