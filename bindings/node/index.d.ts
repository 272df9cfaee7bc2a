/* eslint-disable */
// Hand-written part of the contract: the shapes the binding converts to and from (serde on the
// Rust side). `napi build` prepends this file to the generated index.d.ts, whose classes refer
// to these names.

/** The stable error codes, on `err.code` of every error this module throws or rejects with. */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'AUTH'
  | 'API'
  | 'RATE_LIMITED'
  | 'TIMEOUT'
  | 'TRANSPORT'
  | 'PROTOCOL'
  | 'CLOSED'
  | 'AGENT_STATE'

/**
 * What every failure looks like: a real `Error` (a `TypeError` for `INVALID_INPUT`, whether the
 * argument had the wrong type or a value the core refused) with a stable `code`. Messages say
 * what happened and what to do; they never contain an API key or a token.
 */
export interface HelixError extends Error {
  code: ErrorCode
  /** `AUTH` and `API` errors: whose credentials or which upstream refused (`ozonetel`, `deepgram`, `openai`). */
  service?: 'ozonetel' | 'deepgram' | 'openai'
  /** `API` errors: the HTTP status, when it was not 200. */
  httpStatus?: number
  /** `RATE_LIMITED` errors: how long to wait, when known. */
  retryAfterMs?: number
  /** `AGENT_STATE` errors: why the agent could not act — what a desk UI switches on. */
  refusal?: AgentRefusal
}

/**
 * Why Ozonetel refused an agent's action (`AGENT_STATE`): not logged in; another agent holds
 * the number; not available for a manual dial (not logged in, not Ready, or inbound-only —
 * Ozonetel does not say which); in after-call work (dispose the call, or `forceReady`); on a
 * call. Retrying as is will not help: change the agent's state first.
 */
export type AgentRefusal = 'not_logged_in' | 'number_in_use' | 'not_available' | 'in_acw' | 'busy'

// ---------------------------------------------------------------------------------------------
// Ozonetel
// ---------------------------------------------------------------------------------------------

/**
 * Options of `new OzonetelClient(...)`. Only `userName` and `apiKey` are required. Numbers
 * outside their documented range (NaN, ±Infinity and non-integers included) are refused with
 * `INVALID_INPUT`.
 */
export interface OzonetelClientOptions {
  /** The CloudAgent account name. */
  userName: string
  /** The account's API key. Kept secret: never printed, logged or put in an error. */
  apiKey: string
  /** API host or base URL (default `https://in1-ccaas-api.ozonetel.com`; the simulator's `http://127.0.0.1:PORT`). */
  baseUrl?: string
  /** The subscription (event webhook) host or base URL (default `https://subscription.ozonetel.com`; the US host is `subscription.ccaas.ozonetel.com`; the simulator serves it on its Ozonetel URL). */
  eventsBaseUrl?: string
  /** Must match the account's "API Authentication" setting (default `'token'`). */
  authMode?: 'token' | 'basic'
  /** How phone numbers are written: India `0`+10 digits (default) or international `+CC…`. */
  region?: 'india' | 'international'
  /** Per-request timeout in milliseconds (default 10 000; integer 1..=600 000). */
  timeoutMs?: number
  /** The account's time zone as minutes east of UTC, for "today" and the CDR rules (default 330, IST; integer -1439..=1439). */
  utcOffsetMinutes?: number
  /** How idempotent reads retry transient failures. */
  retry?: RetryOptions
  /** The CDR pace (default Ozonetel's 2 requests per 60 000 ms; `requests` integer 1..=1 000, `perMs` integer 1..=86 400 000). Change only to test pacing. */
  cdrRateLimit?: { requests: number; perMs: number }
  /**
   * Share the account (its token, hourly generation budget and CDR pace) with other processes
   * (sidecar replicas) through Redis: one generation for all of them, under a lock, within
   * Ozonetel's 10 an hour. Without it, every client in this process on the same account (same
   * base URL however spelled, user name and key) shares one in-memory account anyway. Every
   * client of one account in a process must name the same store (or none): a different one is
   * `INVALID_INPUT`. Redis is connected on first use; a Redis that is down is a `TRANSPORT`
   * error on that call.
   */
  accountStore?: { redisUrl: string; prefix?: string }
}

/**
 * Who an `OzonetelAgent` is, as the host knows it (its login, its database, the request):
 * `client.agent(ref)`. Only `id` is required there; each agent-scoped call says which other
 * field it needs and rejects `INVALID_INPUT` naming it when it is missing, before anything is
 * sent. There is no default agent and no environment fallback.
 */
export interface AgentRef {
  /** The CloudAgent agent id. */
  id: string
  /** The agent's SIP extension / phone name: call control, state changes, phone dials. */
  phoneName?: string
  /** The agent's phone number: completing a transfer drops the agent by it; login registers it. */
  number?: string
  /** The campaign manual dials go out on. */
  campaign?: string
  /** The DID (virtual number) the agent's calls use: call control, dispositions. */
  did?: string
}

/** Retry policy of idempotent requests (CONFERENCE and KICK_CALL are never resent once sent). */
export interface RetryOptions {
  /** Total attempts, the first included (default 3; integer 1..=10; 1 = no retries). */
  maxAttempts?: number
  /** First backoff ceiling in ms (default 200; integer 0..=60 000). */
  baseDelayMs?: number
  /** Largest backoff ceiling in ms (default 5 000; integer 0..=600 000). */
  maxDelayMs?: number
  /** A `Retry-After` longer than this is not waited for; `RATE_LIMITED` is returned (default 60 000; integer 0..=3 600 000). */
  maxRetryAfterMs?: number
}

/** A `CallControl_V4` action. There is no TRANSFER action: use `OzonetelAgent.transfer`. */
export type CallAction = 'CONFERENCE' | 'HOLD' | 'UNHOLD' | 'MUTE' | 'UNMUTE' | 'KICK_CALL'

/** Arguments of `callControl`. */
export interface CallControlRequest {
  action: CallAction
  /** The call's UCID, as a string (UCIDs exceed 2^53). */
  ucid: string
  /** Required for CONFERENCE (who to add) and KICK_CALL (who to drop); optional otherwise. */
  conferenceNumber?: string
}

/** What Ozonetel said when it accepted a call-control action. */
export interface CallControlResponse {
  action: CallAction
  /** Ozonetel's status text (`Success`). */
  status: string
  /** Ozonetel's message (`dialing`, `User hold is successful`, …). */
  message: string
  /** The UCID Ozonetel echoed, when it did. */
  ucid: string | null
}

/** What Ozonetel said when it paused or resumed a recording. */
export interface RecordingResponse {
  /** `true` when the recording is now paused. */
  paused: boolean
  message: string
}

/** Warm: conference the target and complete or cancel later. Cold: drop the agent at once. */
export type TransferMode = 'warm' | 'cold'

/** Where a transfer stands. */
export type TransferState = 'conferenced' | 'inProgress' | 'completed' | 'cancelled'

/** Arguments of `transfer`. */
export interface TransferRequest {
  ucid: string
  /** The target's number, in any usual spelling (`+91 98765-43210`). */
  target: string
  /** Default `'warm'`. */
  mode?: TransferMode
}

/** Filters of `abandonedCalls`. Times are account-local `YYYY-MM-DD HH:mm:ss` (a `T` in place of the space is accepted); the default window is today. */
export interface AbandonedCallsQuery {
  fromTime?: string
  toTime?: string
  campaignName?: string
}

/** A call that reached the account and was not answered. Every field is a string as Ozonetel sent it. */
export interface AbandonedCall {
  /** Unique per call; the watcher deduplicates on it. */
  monitorUcid: string
  /** Call type (`Manual`, `Inbound`, …). */
  type: string
  /** Outcome (`NotAnswered`). */
  status: string
  campaign: string
  /** The caller's number. */
  callerId: string
  did: string
  skillId: string
  skill: string
  agentId: string
  agent: string
  /** Who hung up (`AgentHangup`, `CustomerHangup`, …). */
  hangupBy: string
  /** Account-local time, `YYYY-MM-DD HH:mm:ss`. */
  callTime: string
  /** Fields this version does not know, as sent. */
  [extra: string]: unknown
}

/** A call-history query. `from`/`to` are account-local `YYYY-MM-DD HH:mm:ss` (a `T` in place of the space is accepted); a window over several days is split per day and paced to Ozonetel's 2 requests a minute. */
export interface CallRecordsQuery {
  from: string
  to: string
  ucid?: string
  campaignName?: string
  monitorUcid?: string
  /** `Progressive`, `Inbound`, … */
  callType?: string
  /** `Answered`, `NotAnswered`, … */
  status?: string
}

/** Progress of a multi-day `callRecords`, after each day. */
export interface CdrProgress {
  /** The day just fetched, `YYYY-MM-DD`. */
  day: string
  daysDone: number
  daysTotal: number
  recordsSoFar: number
  /** How long the next day's request waits for the rate limit, in whole ms (0 when done). */
  nextRequestIn: number
}

/** One call from Ozonetel's call history. Every documented field is a string exactly as sent (ids as exact decimal text, durations `HH:MM:SS`, missing fields empty). */
export interface CallRecord {
  /** Ozonetel's call id (exact decimal text). */
  callId: string
  /** The call's date (`YYYY-MM-DD`). */
  callDate: string
  /** Time of day the call started. */
  startTime: string
  /** Time of day the call ended. */
  endTime: string
  /** Total duration, `HH:MM:SS`. */
  duration: string
  /** Talk time, `HH:MM:SS`. */
  talkTime: string
  /** Handling time, `HH:MM:SS`. */
  handlingTime: string
  /** The caller's number. */
  callerId: string
  /** The number dialled. */
  dialedNumber: string
  /** The number in E.164 form. */
  e164: string
  /** The DID. */
  did: string
  /** Caller location. */
  location: string
  /** Agent id. */
  agentId: string
  /** Agent name. */
  agentName: string
  /** Skill. */
  skill: string
  /** Campaign name. */
  campaignName: string
  /** Call flow (IVR path), as sent. */
  callFlow: string
  /** Call type (`Inbound`, `Progressive`, `Manual`, ...). */
  type: string
  /** `Answered` or `Unanswered`. */
  status: string
  /** Dial status. */
  dialStatus: string
  /** Agent leg dial status. */
  agentDialStatus: string
  /** Customer leg dial status. */
  customerDialStatus: string
  /** Disposition set by the agent. */
  disposition: string
  /** Agent comments. */
  comments: string
  /** Who hung up. */
  hangupBy: string
  /** Time in queue, `HH:MM:SS`. */
  queueTime: string
  /** Time on hold, `HH:MM:SS`. */
  holdDuration: string
  /** Wrap-up time, `HH:MM:SS`. */
  wrapupDuration: string
  /** Time to answer, `HH:MM:SS`. */
  timeToAnswer: string
  /** Dial attempts. */
  dialCount: string
  /** The call's UCID (exact decimal text). */
  ucid: string
  /** User-to-user information. */
  uui: string
  /** Recording URL. */
  callAudio: string
  /** Conference-leg recording file. */
  callerConfAudioFile: string
  /** Conference duration, `HH:MM:SS`. */
  conferenceDuration: string
  /** Customer ring time. */
  customerRingTime: string
  /** Dial-out name. */
  dialOutName: string
  /** Dynamic DID. */
  dynamicDid: string
  /** Event. */
  event: string
  /** Time of day the call was picked up. */
  pickupTime: string
  /** Customer rating. */
  rating: string
  /** Rating comments. */
  ratingComments: string
  /** Transfer type. */
  transferType: string
  /** Who the call was transferred to. */
  transferredTo: string
  /** Video recording URL. */
  videoRecordingUrl: string
  /** Wrap-up end time. */
  wrapUpEndTime: string
  /** Wrap-up start time. */
  wrapUpStartTime: string
  /** Fields this version does not know, as sent. */
  [extra: string]: unknown
}

/** Options of `watchMissedCalls`. */
export interface WatchMissedCallsOptions {
  /** Time between polls in ms (default 30 000; integer 100..=86 400 000; keep ≥ 10 000 against Ozonetel). */
  intervalMs?: number
  /** Also yield the calls already missed when watching starts (default `false`). */
  includeExisting?: boolean
  campaignName?: string
}

// ---------------------------------------------------------------------------------------------
// The agent desk (OzonetelAgent) and event webhooks
// ---------------------------------------------------------------------------------------------

/** How a login or logout ended. The idempotent cases are outcomes, not errors. */
export type LoginOutcome = 'logged_in' | 'already_logged_in' | 'logged_out' | 'not_logged_in'

/** What Ozonetel said to a login or logout. */
export interface LoginResponse {
  outcome: LoginOutcome
  /** Ozonetel's words (`Agent agent1 logged in successfully`). */
  message: string
}

/** What Ozonetel said when it changed the agent's state. */
export interface AgentStateResponse {
  /** The agent's state after the change as Ozonetel spells it (`READY`, `PAUSED`, …); empty when it did not say. */
  agentStatus: string
  /** Ozonetel's result text (`Success:tbAgentPause~INBOUND`), or its plain message. */
  resp: string
  /** The agent id Ozonetel echoed, when it did. */
  agentId: string | null
  /** The other fields of the answer, as sent. */
  extra: Record<string, unknown>
}

/** What `forceReady` did, step by step. */
export interface ForceReadyResponse {
  /** The logout (`not_logged_in` when the agent was already out). */
  logout: LoginResponse
  login: LoginResponse
  /** The Ready after the login. */
  ready: AgentStateResponse
}

/** Options of `agent.dial`. */
export interface DialOptions {
  /** Application data carried into the call's report, at most 1000 characters. */
  uui?: string
  /** Dial on this campaign instead of the agent's own. */
  campaign?: string
}

/** Options of `agent.phoneDial`. */
export interface PhoneDialOptions {
  /** The longest the call may talk, in whole seconds (integer 1..=86 400). */
  callLimitSecs?: number
  /** `true` withholds the call while the agent is busy; `false` dials regardless (Ozonetel's default when absent). */
  checkStatus?: boolean
  /** The campaign (its fallback DIDs); the agent's own when absent. */
  campaign?: string
  uui?: string
}

/** A dial Ozonetel queued. */
export interface DialResponse {
  /** The new call's UCID (exact decimal text: call control, disposition and the CDR's `UCID`). `null` only when Ozonetel queued the call without naming it — do not dial again to get one. */
  ucid: string | null
  /** Ozonetel's status (`queued successfully`, `queued`). */
  status: string
  /** Ozonetel's message beside the UCID, when it sent one. */
  message: string
}

/** What `agent.dispose` records for a call. */
export interface Disposition {
  /** One of the account's dispositions (`client.dispositions()`); required. */
  code: string
  /** The agent's comments, at most 1000 characters. */
  comments?: string
  /** When to call back: account-local `YYYY-MM-DD HH:mm:ss` (a `T` separator is accepted; sent to the minute). */
  callbackAt?: string
  /** Pause the agent after disposing, for this reason (one of the account's pause reasons). */
  pauseAfter?: string
  /** Release the agent from ACW once disposed (default `false`). */
  autoRelease?: boolean
}

/** How a disposition ended; none is an error: the call is (or will be) disposed. `queued`: set during the call, applied when it ends. */
export type DispositionOutcome =
  | { outcome: 'queued'; message: string }
  | { outcome: 'saved'; message: string }
  | { outcome: 'already_disposed'; message: string }

/** Where Ozonetel should POST the account's events (both required). */
export interface EventUrls {
  /** Receives call events. */
  call: string
  /** Receives agent events. */
  agent: string
}

/** The account's current subscription. */
export interface EventSubscriptions {
  call: string | null
  agent: string | null
}

/** What the subscription API said. */
export interface SubscriptionResponse {
  /** `false` only for an unsubscribe when there was no subscription (the account is unsubscribed either way). */
  changed: boolean
  message: string
}

/** `SidecarRegistry.connect`'s options. */
export interface SidecarRegistryOptions {
  /** Redis key prefix; the dispatcher's `--redis-prefix` (default `helix:ozonetel:`). */
  prefix?: string
}

/** Where an agent's events go: the sidecar serving it and the URL they are POSTed to. */
export interface SidecarRoute {
  sidecarId: string
  url: string
}

/** What `SidecarRegistry.register` did. */
export interface SidecarRegistration {
  /** Agents another live sidecar served until this registration (the latest wins), in the order named; empty when none. */
  displaced: Array<{ agentId: string; fromSidecarId: string }>
}

/** One live sidecar, as `SidecarRegistry.sidecars()` lists it. */
export interface SidecarInfo {
  sidecarId: string
  url: string
  /** The agents it serves now (sorted; without any a later registration took). */
  agentIds: string[]
  /** How long the registration lives without another heartbeat. */
  expiresInMs: number
}

/** A time as Ozonetel wrote it, and what it means when it could be read. */
export interface EventTime {
  /** The text as sent (empty when absent). */
  raw: string
  /** The account-local date-time (`YYYY-MM-DDTHH:mm:ss`), or `null` when `raw` is no time. */
  at: string | null
}

/** What happened to a call; another action comes as `{ other: '<as sent>' }`. */
export type CallEventAction = 'calling' | 'answered' | 'disconnect' | { other: string }

/** A call event, as POSTed to the call events URL. */
export interface CallEvent {
  kind: 'call'
  /** `eventType` as sent (`Call`). */
  eventType: string
  /** `eventTime`: when Ozonetel sent the event. */
  sentAt: EventTime
  /** `event_time`: when the call event happened. */
  occurredAt: EventTime
  /** The account. */
  username: string
  action: CallEventAction
  /** `Manual`, `InBound`, `Progressive`, … */
  callType: string
  /** The caller leg's UCID: the CDR's `UCID`, what call control and disposition take. */
  ucid: string
  /** The monitoring id — NOT the CDR's `UCID` (joining on it matches nothing). */
  monitorUcid: string
  /** The agent the call connected to: route the event by it. */
  agentId: string
  skill: string
  /** The customer's number. */
  callerId: string
  did: string
  agentNumber: string
  /** Every other field, as sent. */
  extra: Record<string, unknown>
}

/** An agent event (login, state changes), as POSTed to the agent events URL. */
export interface AgentEvent {
  kind: 'agent'
  eventType: string
  sentAt: EventTime
  occurredAt: EventTime
  username: string
  /** Route the event by it. */
  agentId: string
  /** The agent's new state, as sent (`Login`, `Ready`, `Pause`, `Busy`, `ACW`, `Logout`). */
  action: string
  agentNumber: string
  extra: Record<string, unknown>
}

/** What `OzonetelClient.parseEvent` returns: narrow on `kind`. */
export type OzonetelEvent = CallEvent | AgentEvent

/** One page of `callRecordPages`. */
export interface CdrPage {
  records: CallRecord[]
  /** The page's number within its day, from 1. */
  pageNo: number
  /** Ozonetel's `totalCount` for the day, when it sent one. */
  totalCount: number | null
}

// ---------------------------------------------------------------------------------------------
// Live assist
// ---------------------------------------------------------------------------------------------

/** Who is speaking: the agent, the customer, or a channel/diarized speaker not named in `speakers`. */
export type Speaker = 'agent' | 'customer' | `speaker_${number}`

/** The audio `sendAudio` takes. Raw encodings can be replayed after a reconnect; containers cannot. */
export type AudioFormat =
  /** `sampleRate` default 16 000, `channels` default 2 (the core's `AudioFormat::linear16`). */
  | { encoding: 'linear16'; sampleRate?: number; channels?: number }
  /** `sampleRate` default 8 000, `channels` default 2 (the core's `AudioFormat::mulaw`). */
  | { encoding: 'mulaw'; sampleRate?: number; channels?: number }
  /** `channels` default 1. */
  | { encoding: 'container'; channels?: number }

/**
 * Deepgram's `redact` values. Hosted streaming redacts the entities (`pci`, `pii`, `phi`) in
 * English only, so they need an English `language` (`en`, `en-*`, or none); `numbers` and
 * `aggressive_numbers` work in every language but also wipe dates, times and prices.
 */
export type DeepgramRedaction = 'pci' | 'pii' | 'phi' | 'numbers' | 'aggressive_numbers'

/**
 * A starting point for `DeepgramOptions`; every field given explicitly overrides it.
 * `'indian-multilingual'`: Hindi/English (Hinglish) calls — model `nova-3`, `language: 'multi'`,
 * endpointing 100 ms (Deepgram's advice for code-switching), smart format, and no Deepgram
 * `redact` (entity redaction is English-only; the local `redaction` does that work).
 */
export type DeepgramPreset = 'indian-multilingual'

/** Deepgram live options. Defaults: model `nova-3`, interim results, punctuate, smart format, endpointing 300 ms, utterance end 1 000 ms, VAD events, `redact: ['pci']`. */
export interface DeepgramOptions {
  apiKey: string
  /** Start from a preset (see `DeepgramPreset`); the other fields override it. */
  preset?: DeepgramPreset
  /** Base WebSocket URL (default `wss://api.deepgram.com`; `/v1/listen` is appended). */
  url?: string
  model?: string
  /** `en-IN`, `hi`, `multi`, … */
  language?: string
  interimResults?: boolean
  punctuate?: boolean
  smartFormat?: boolean
  /** Silence in ms before `speech_final` (default 300; integer 0..=60 000), or `false` to turn endpointing off. */
  endpointingMs?: number | false
  /** ms of silence before an `utteranceEnd` event (default 1 000; integer 1..=60 000), or `false` to turn them off. */
  utteranceEndMs?: number | false
  vadEvents?: boolean
  diarize?: boolean
  keyterms?: string[]
  /** Default: on when the audio has more than one channel. */
  multichannel?: boolean
  /**
   * Deepgram's `redact`, one `redact=` parameter per value (default `['pci']`, none with the
   * `indian-multilingual` preset; `[]` sends none). `pci`/`pii`/`phi` with a non-English
   * `language` are `INVALID_INPUT`; so is `redact` in `extraParams` while this is non-empty.
   */
  redact?: DeepgramRedaction[]
  /** Other query parameters, sent verbatim. */
  extraParams?: Record<string, string>
}

/**
 * The local redactor, run on every final before it is stored, emitted or sent to the LLM: card
 * numbers (Luhn), Aadhaar (Verhoeff), PAN, Indian phone numbers, e-mail addresses and numbers
 * after identifier words ("policy", "member id", "card", …), spoken digits included. Each span
 * becomes its kind's marker (`[card]`, `[aadhaar]`, …). The lead's own phone stays for the
 * agent and is never sent to the LLM.
 */
export interface RedactionOptions {
  /** Default `true`. */
  enabled?: boolean
  /** Extra identifier words, e.g. a hospital's `'IP number'` (at most 32, each 1–64 characters). */
  keywords?: string[]
}

/** The post-call summary (`CallSummary.postCall`): one LLM request at `stop()`, with the suggestion LLM's key, endpoint and model. */
export interface PostCallOptions {
  /** Bound on the request (default 10 000 ms; integer 1..=120 000); adds to how long `stop()` may take, never delays the transcript. */
  timeoutMs?: number
  /** The account's dispositions (`client.dispositions()`; at most 500, each 1–200 characters, no repeats). `suggestedDisposition` is one of them exactly, or `null`. */
  dispositions?: string[]
  /** Transcript in the prompt, in characters (default 24 000; integer 1..=1 000 000). */
  maxTranscriptChars?: number
  /** Replaces the built-in post-call prompt (at most 100 000 characters). */
  systemPrompt?: string
}

/** Suggestions from any OpenAI-compatible chat-completions endpoint. */
export interface SuggestionOptions {
  apiKey: string
  /** Including the version path (default `https://api.openai.com/v1`). */
  baseUrl?: string
  /** Default `gpt-4o-mini`. */
  model?: string
  /** At most one request per interval while new final text arrives (default 10 000 ms; integer 1..=3 600 000). */
  intervalMs?: number
  /** Never two requests closer than this (default 3 000 ms; integer 0..=3 600 000). */
  minGapMs?: number
  /** Bound on one request (default 8 000 ms; integer 1..=600 000). */
  timeoutMs?: number
  /** First delay after a failed request (default 2 000 ms; integer 0..=3 600 000); doubled per failure. */
  backoffInitialMs?: number
  /** Ceiling of that delay (default 60 000 ms; integer 0..=3 600 000). */
  backoffMaxMs?: number
  /** Replaces the built-in system prompt (at most 100 000 characters). */
  systemPrompt?: string
  /** Recent transcript in the prompt, in characters (default 4 000; integer 1..=1 000 000). */
  maxTranscriptChars?: number
  /** Lead context in the prompt, in characters (default 2 000; integer 0..=1 000 000). */
  maxLeadChars?: number
  /** Suggestions per answer (default 3; integer 1..=100). */
  maxItems?: number
  /** Ask for the post-call summary at `stop()` (off when omitted). */
  postCall?: PostCallOptions
}

/** What the CRM knows about the person on the line, for the suggestion prompt. */
export interface LeadContext {
  name?: string | null
  phone?: string | null
  /** Pipeline status, e.g. `follow-up`. */
  status?: string | null
  /** Earlier interactions, oldest first, one short line each. */
  history?: string[]
  /** Other facts as label/value pairs. */
  fields?: Array<[string, string]>
  notes?: string | null
}

/** Connection timers, in ms (integers). */
export interface TimingOptions {
  /** KeepAlive after this long without audio (default 4 000; 1..=600 000). */
  keepaliveAfterMs?: number
  /** A socket that takes audio and answers nothing this long is replaced (default 10 000; 1..=3 600 000). */
  watchdogMs?: number
  /** Bound on one frame write (default 5 000; 1..=600 000). */
  sendTimeoutMs?: number
  /** Bound on the handshake (default 5 000; 1..=600 000). */
  connectTimeoutMs?: number
  /** How long `stop()` waits for Deepgram's last results (default 5 000; 0..=600 000). */
  stopWaitMs?: number
}

/** Reconnect backoff. */
export interface ReconnectOptions {
  /** Delay before the first retry in ms (default 250; integer 0..=600 000). */
  initialDelayMs?: number
  /** Ceiling of the delay in ms (default 5 000; integer 0..=3 600 000). */
  maxDelayMs?: number
  /** Consecutive failed attempts before giving up (default 10; integer 0..=10 000). */
  maxAttempts?: number
}

/**
 * Everything `LiveAssist.start` needs. Only `deepgram.apiKey` is required. Every number has a
 * range (in its field's doc); NaN, ±Infinity, non-integers where an integer is needed and values
 * outside the range are refused with `INVALID_INPUT`.
 */
export interface LiveAssistConfig {
  deepgram: DeepgramOptions
  /** Default 16 kHz stereo linear16 (agent left, customer right). */
  audio?: AudioFormat
  /** Who is on channel i (default `['agent', 'customer']`). */
  speakers?: Speaker[]
  /** Omit or `null` for no suggestions. */
  suggestions?: SuggestionOptions | null
  lead?: LeadContext | null
  timing?: TimingOptions
  reconnect?: ReconnectOptions
  /** Chunks `sendAudio` may queue before it drops (default 512; integer 1..=1 000 000). */
  audioQueueChunks?: number
  /**
   * Coalesce the chunks `sendAudio` is given into frames of this many ms before they go to
   * Deepgram (default 0: off, each chunk is written as it is handed over; 0 or integer 20..=250;
   * raw audio only). 20 ms frames at `coalesceMs: 100` are one write instead of five, about half
   * the CPU per stream-second, for up to 100 ms more delay. A partial frame goes once the window
   * has passed since its first byte, and at once ahead of a Finalize (hold, private, `finalize`)
   * and at `stop`.
   */
  coalesceMs?: number
  /**
   * Events that may wait for `onEvent` (or the iterator) before new ones are dropped and counted
   * in `metrics.eventsDropped` (default 4 096; integer 1..=1 000 000). `closed` is never dropped.
   */
  eventQueue?: number
  /** Most audio kept for replay after a reconnect, in ms (default 30 000; integer 0..=600 000). */
  replayBufferMs?: number
  /** Replay speed as a multiple of real time (default 1.25; 1..=1000). */
  replaySpeed?: number
  /** The local redactor (on by default). */
  redaction?: RedactionOptions
}

/** One recognised word; times in seconds from the start of the call. */
export interface Word {
  word: string
  punctuated: string
  start: number
  end: number
  confidence: number
}

/** A stretch of speech by one speaker, or a private stretch's marker; times in seconds from the start of the call. */
export interface Segment {
  /** `'private'`: the marker of a private stretch (`setPrivate`) — its start and end, text `[private]`, no words. */
  kind: 'speech' | 'private'
  speaker: Speaker
  channel: number
  start: number
  end: number
  text: string
  confidence: number
  words: Word[]
  speechFinal: boolean
  /** Finals: whole ms from the host's `sendAudio` of the segment's last audio byte to its final arriving; `null` for interims or when unknown. */
  latency: number | null
}

export type SuggestionKind = 'answer' | 'question' | 'next_step' | 'objection' | 'compliance' | 'info' | 'other'

export interface Suggestion {
  kind: SuggestionKind
  text: string
}

/** How the customer sounds. */
export type Sentiment = 'positive' | 'neutral' | 'negative' | 'angry'

/** Why the call needs more than the agent's next sentence; the batch's first item is then a `next_step` for it. */
export interface Escalation {
  reason: 'supervisor_requested' | 'angry_customer' | 'medical_emergency'
  /** What was said that shows it, one short sentence. */
  detail: string
}

/** Suggestions from one LLM answer, with the live signals. */
export interface SuggestionBatch {
  items: Suggestion[]
  /** The customer's current sentiment; `null` when the endpoint sent none. */
  sentiment: Sentiment | null
  /** Set when the call needs escalating. */
  escalation: Escalation | null
  trigger: 'customer_turn_end' | 'interval'
  /** Whole ms from request to answer. */
  latency: number
}

/** A latency distribution, in whole ms. */
export interface LatencyStats {
  count: number
  mean: number
  p50: number
  p95: number
  max: number
  last: number
}

export interface AssistMetrics {
  audioSecondsReceived: number
  audioSecondsSent: number
  audioSecondsReplayed: number
  audioSecondsDropped: number
  /** Seconds of audio held for a reconnect to replay now (not yet finalised by Deepgram). */
  replayBufferSeconds: number
  droppedChunks: number
  reconnects: number
  keepalivesSent: number
  eventsDropped: number
  transcriptLatency: LatencyStats
  suggestionRequests: number
  suggestionFailures: number
  suggestionLatency: LatencyStats
  /** Seconds of audio withheld from Deepgram while private (never buffered, sent or replayed). */
  privateSeconds: number
}

export type CallOutcome = 'resolved' | 'follow_up' | 'escalated' | 'unresolved' | 'no_conversation'

/** The post-call summary, from the redacted transcript and the lead (never the lead's phone). A UI pre-fills the disposition form with it; the agent confirms. */
export interface PostCallSummary {
  summary: string
  /** Why the customer called, a short phrase. */
  reason: string
  outcome: CallOutcome
  /** What is owed after the call; `due` as said on the call, or `null`. */
  followUps: Array<{ what: string; due: string | null }>
  /** By the end of the call. */
  sentiment: Sentiment
  /** One of `postCall.dispositions`, exactly as given, or `null`. */
  suggestedDisposition: string | null
  /** 0–1. */
  confidence: number
}

/** A session's end result (`stop()`, and the `closed` event). */
export interface CallSummary {
  transcript: { segments: Segment[] }
  suggestions: SuggestionBatch[]
  metrics: AssistMetrics
  /** Deepgram's `dg-request-id` of every connection, in order. */
  requestIds: string[]
  /** Seconds of audio Deepgram reported in its final Metadata. */
  deepgramDuration: number | null
  /** Whether Deepgram confirmed the end of the stream. */
  complete: boolean
  /** The error that ended the session early, if one did. */
  error: { code: ErrorCode; message: string } | null
  /** The post-call summary, when `suggestions.postCall` is set and it came in time. */
  postCall: PostCallSummary | null
  /** Why there is no post-call summary although one was asked for (`TIMEOUT`, or the LLM's error); never sets `error`. */
  postCallError: { code: ErrorCode; message: string } | null
  /** How long the session ran, in whole ms. */
  duration: number
}

export type WarningKind = 'audio_dropped' | 'audio_lost' | 'unknown_message' | 'bad_message' | 'suggestion_failed' | 'post_call'

/** Everything a session reports, in order; `closed` is last. */
export type AssistEvent =
  | { type: 'transcript'; segment: Segment; isFinal: boolean }
  | { type: 'speechStarted'; speaker: Speaker; channel: number; at: number }
  | { type: 'utteranceEnd'; speaker: Speaker; channel: number; lastWordEnd: number }
  /** A private stretch began (`private: true`) or ended, at call second `at`. */
  | { type: 'private'; private: boolean; at: number }
  | ({ type: 'suggestion' } & SuggestionBatch)
  | { type: 'reconnecting'; attempt: number; reason: string }
  | { type: 'reconnected'; attempt: number; replaySeconds: number; requestId: string | null }
  | { type: 'warning'; kind: WarningKind; message: string }
  | { type: 'error'; code: ErrorCode; message: string; service?: 'ozonetel' | 'deepgram' | 'openai' }
  | ({ type: 'closed' } & CallSummary)

/** What `sendAudio` did with a chunk: queued, dropped because the queue was full, or withheld because the call is private (`setPrivate(true)`; discarded, never sent). An empty chunk throws `INVALID_INPUT` (nothing is sent). */
export type AudioDelivery = 'queued' | 'dropped' | 'withheld'

/** `redact()`'s options. */
export interface RedactOptions {
  /** Extra identifier words (as `RedactionOptions.keywords`). */
  keywords?: string[]
  /** The lead's own number: it stays in the text (the agent may see it). */
  leadPhone?: string
}

/** `redact()`'s result. */
export interface RedactResult {
  /** The text with each span replaced by its kind's marker. */
  text: string
  /** The kinds replaced, in text order. */
  kinds: RedactionKind[]
}

export type RedactionKind = 'card' | 'aadhaar' | 'pan' | 'phone' | 'email' | 'policy' | 'member_id' | 'account'


/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/** The events of a `LiveAssist`, as an async iterator. */
export declare class AssistEvents {
  /** The next event; `{ done: true }` after `closed` or after `return()`. */
  next(): Promise<IteratorResult<AssistEvent, undefined>>
  /** Stops this iterator (the session goes on). */
  return(): Promise<IteratorResult<AssistEvent, undefined>>
  /** The iterator is its own async iterable. */
  [globalThis.Symbol.asyncIterator](): AssistEvents
}

/** CDR pages as an async iterator: `for await (const page of client.callRecordPages(q, 100))`. */
export declare class CallRecordPages {
  /**
   * The next page; `{ done: true }` after the last one or once returned. A failed request
   * rejects, and the iterator is done after it.
   */
  next(): Promise<IteratorResult<CdrPage, undefined>>
  /** Stops paging; a pending `next()` resolves `{ done: true }`. */
  return(): Promise<IteratorResult<CdrPage, undefined>>
  /** The iterator is its own async iterator. */
  [globalThis.Symbol.asyncIterator](): CallRecordPages
}

/** A live-assist session for one call: audio in, transcript and suggestions out. */
export declare class LiveAssist {
  /**
   * Validates the configuration, connects to Deepgram and starts the session. Rejects
   * `INVALID_INPUT` for a bad config (any number outside its documented range included),
   * `AUTH` (`service: 'deepgram'`) when Deepgram refuses the key, `API` when it refuses the
   * parameters. Events go to `onEvent` (in order, each after the previous one returned) and
   * to any iterator opened with `events()` / `for await`. Without `onEvent` events queue for
   * the iterator from the start.
   *
   * `onEvent` should return quickly: while it runs, newer events wait in a queue of
   * `eventQueue` (default 4 096); events that find it full are dropped and counted in
   * `metrics.eventsDropped` (never `closed`, never the transcript in the summary).
   *
   * A throwing `onEvent` is an uncaught exception in your process, as with an
   * `EventEmitter` listener: unhandled, it ends the process; with a
   * `process.on('uncaughtException')` handler the session goes on and still closes. Catch
   * inside the handler instead — `(e) => { try { handle(e) } catch (err) { log(err) } }` — or
   * hand events to your own emitter/queue and do the work there.
   */
  static start(config: LiveAssistConfig, onEvent?: (event: AssistEvent) => void): Promise<LiveAssist>
  /**
   * Queues call audio in the configured format. Never blocks; returns `'dropped'` when the
   * queue is full and `'withheld'` while the call is private (`setPrivate(true)`: the chunk
   * is discarded, never sent or replayed, and counts on the call's timeline). Throws `INVALID_INPUT` for an empty chunk (the core's rule: nothing is
   * sent) and `CLOSED` once the session has ended.
   */
  sendAudio(chunk: Buffer | Uint8Array): AudioDelivery
  /**
   * Marks the call on hold (`true`) or back (`false`): what was said is finalised now, and
   * the socket is kept open however long the hold lasts.
   */
  setOnHold(onHold: boolean): void
  /**
   * Starts (`true`) or ends (`false`) a private stretch: while private, no audio reaches
   * Deepgram (`sendAudio` answers `'withheld'`), no text reaches the LLM, and the transcript
   * gets one `private` marker segment for the stretch; a `private` event says when it began
   * and ended. The call's timeline keeps counting. Repeating the same value does nothing.
   */
  setPrivate(on: boolean): void
  /** Replaces the lead context used for the next suggestions. */
  updateLead(lead: LeadContext): void
  /** Asks Deepgram to finalise what it has buffered now (end of a turn). */
  finalize(): void
  /** The metrics so far. */
  metrics(): AssistMetrics
  /**
   * Ends the session: sends the queued audio, closes the stream, waits (bounded) for the
   * last results, and resolves with the summary once every queued event, `closed` last, has
   * been delivered to `onEvent` — however slow the handler; `metrics.eventsDropped` counts
   * the events that found the queue full. No event arrives after it resolves, and nothing
   * of the session keeps Node's event loop alive. Rejects `CLOSED` when called twice.
   */
  stop(): Promise<CallSummary>
  /**
   * An async iterator over the session's events; ends after `closed`. Iterators share one
   * queue: each event goes to one `next()`.
   */
  events(): AssistEvents
  /** `for await (const event of assist)`: same as `events()`. */
  [globalThis.Symbol.asyncIterator](): AssistEvents
}

/** New missed calls as an async iterator: `for await (const call of client.watchMissedCalls())`. */
export declare class MissedCallWatcher {
  /**
   * The next new missed call; `{ done: true }` once the watcher is closed. A failed poll
   * rejects (the watcher stays usable).
   */
  next(): Promise<IteratorResult<AbandonedCall, undefined>>
  /** Stops watching; a pending `next()` resolves `{ done: true }`. */
  return(): Promise<IteratorResult<AbandonedCall, undefined>>
  /** Stops watching (synchronous form of `return()`). */
  close(): void
  /** The watcher is its own async iterator. */
  [globalThis.Symbol.asyncIterator](): MissedCallWatcher
}

/** One agent of one account. Cheap: it shares its client's token, budget and pace. */
export declare class OzonetelAgent {
  /**
   * Not for JS: `new OzonetelAgent()` throws `INVALID_INPUT`. An agent is made by
   * `client.agent({ id, … })`, which ties it to its account; there is no agent without one.
   */
  constructor()
  /** The agent id. */
  get id(): string
  /** The SIP extension / phone name, when given. */
  get phoneName(): string | null
  /** The campaign manual dials go out on, when given. */
  get campaign(): string | null
  /** The DID, when given. */
  get did(): string | null
  /**
   * Applies a call-control action (`CallControl_V4`) as this agent (its `did` and
   * `phoneName` are required). CONFERENCE and KICK_CALL need `conferenceNumber`, and are
   * never resent once they may have reached Ozonetel.
   */
  callControl(request: CallControlRequest): Promise<CallControlResponse>
  /** Puts the customer on hold. */
  hold(ucid: string): Promise<CallControlResponse>
  /** Takes the customer off hold. */
  unhold(ucid: string): Promise<CallControlResponse>
  /** Mutes the customer's leg. */
  mute(ucid: string): Promise<CallControlResponse>
  /** Unmutes the customer's leg. */
  unmute(ucid: string): Promise<CallControlResponse>
  /** Dials `number` into the call (CONFERENCE). */
  conference(ucid: string, number: string): Promise<CallControlResponse>
  /** Drops the party `number` from the call (KICK_CALL). */
  kick(ucid: string, number: string): Promise<CallControlResponse>
  /**
   * Starts a transfer (the agent's `number` is required: completing drops the agent by
   * it): conferences the target in; a cold transfer also drops the agent at once. Resolves
   * with a `Transfer` to `complete()` or `cancel()` (warm).
   */
  transfer(request: TransferRequest): Promise<Transfer>
  /**
   * Logs the agent in (virtually: calls ring the agent's `number`; the toolbar UI is not
   * logged in). Needs the agent's `number`. `already_logged_in` is an outcome, not an
   * error; a wrong id or password is `AUTH` (Ozonetel does not say which). The password
   * is never echoed.
   */
  login(password: string): Promise<LoginResponse>
  /** Logs the agent out; `not_logged_in` (already out) is an outcome, not an error. */
  logout(password: string): Promise<LoginResponse>
  /**
   * Makes the agent Ready (`changeAgentState`, with `phoneName` when the agent has one).
   * Refused in ACW or BUSY
   * or when logged out: `AGENT_STATE` with `refusal` `in_acw`, `busy`, `not_logged_in`.
   */
  setReady(): Promise<AgentStateResponse>
  /**
   * Pauses the agent for `reason`, one of the account's pause reasons (an unknown one is
   * `INVALID_INPUT`). Refusals as for `setReady`.
   */
  pause(reason: string): Promise<AgentStateResponse>
  /**
   * The way out of a stuck ACW: logout, login, Ready, each step reported. Needs the
   * password and the agent's `number`; a failure after the logout leaves the agent out.
   */
  forceReady(password: string): Promise<ForceReadyResponse>
  /**
   * Dials `customer` from the agent's toolbar (`AgentManualDial`) on the agent's campaign
   * (or `options.campaign`); resolves with the new call's UCID. The agent must be logged in
   * and Ready (else `AGENT_STATE`, `refusal: 'not_available'`). Never resent.
   */
  dial(customer: string, options?: DialOptions): Promise<DialResponse>
  /**
   * Dials `customer` for an offline agent (`PhoneManualDial`: Ozonetel rings the agent's
   * phone, then the customer, from the agent's `did`; needs `phoneName` and `did`).
   * Never resent.
   */
  phoneDial(customer: string, options?: PhoneDialOptions): Promise<DialResponse>
  /**
   * Disposes the call `ucid` (`DispositionAPIV2`; needs the agent's `did`). During the
   * call it is queued, after it saved, a second time `already_disposed` — outcomes, not
   * errors. Setting it ends the agent's ACW. Never resent.
   */
  dispose(ucid: string, disposition: Disposition): Promise<DispositionOutcome>
}

/**
 * A client for one Ozonetel CloudAgent account. Cheap to share: every method may be called
 * concurrently, and all of them share one connection pool, one token and one CDR pace.
 */
export declare class OzonetelClient {
  /**
   * Validates the options and builds the client. Throws `INVALID_INPUT` (a `TypeError`) for
   * missing or malformed options; sends nothing.
   */
  constructor(options: OzonetelClientOptions)
  /** The CloudAgent account name. */
  get userName(): string
  /** The base URL requests go to. */
  get baseUrl(): string
  /**
   * The handle for one agent of this account: call control, transfers, login, state,
   * dial and disposition act as that agent. Checks every field given and sends nothing;
   * throws `INVALID_INPUT` naming the field (a missing or empty `id`, a number that cannot
   * be dialled, a DID that is not digits). There is no default agent.
   */
  agent(agent: AgentRef): OzonetelAgent
  /** Pauses the call's recording. */
  pauseRecording(ucid: string): Promise<RecordingResponse>
  /** Resumes the call's recording. */
  resumeRecording(ucid: string): Promise<RecordingResponse>
  /**
   * The account's missed calls (today by default). A failed query rejects; it is never an
   * empty list.
   */
  abandonedCalls(query?: AbandonedCallsQuery): Promise<AbandonedCall[]>
  /**
   * Call history for a window of any length: split per day and paced to Ozonetel's 2
   * requests a minute, calling `onProgress` after each day (before the Promise resolves).
   */
  callRecords(query: CallRecordsQuery, onProgress?: (progress: CdrProgress) => void): Promise<CallRecord[]>
  /** One call's record by UCID on a local day (`YYYY-MM-DD`); `null` when Ozonetel has none. */
  callRecord(ucid: string, date: string): Promise<CallRecord | null>
  /**
   * Watches for new missed calls: an async iterator yielding each new call once. Nothing is
   * polled until the first `next()`; a failed poll rejects that `next()` and watching goes
   * on; `return()` (or `break` in `for await`) stops it.
   */
  watchMissedCalls(options?: WatchMissedCallsOptions): MissedCallWatcher
  /**
   * The account's disposition codes (`DispositionAPIV2` `action=get`): what
   * `agent.dispose` accepts.
   */
  dispositions(): Promise<string[]>
  /**
   * Subscribes the account's call and agent events to two http(s) URLs (both required by
   * Ozonetel). Subscriptions are the account's: one URL receives every agent's events.
   */
  subscribeEvents(urls: EventUrls): Promise<SubscriptionResponse>
  /** The account's current subscription; `null` when there is none. */
  eventSubscriptions(): Promise<EventSubscriptions | null>
  /** Removes the call, agent or both subscriptions; `changed: false` when there was none. */
  unsubscribeEvents(kind: 'call' | 'agent' | 'both'): Promise<SubscriptionResponse>
  /**
   * Reads what Ozonetel POSTed to a webhook: the request's `Content-Type` (JSON or
   * `application/x-www-form-urlencoded`) and its raw body. Returns a `CallEvent` or an
   * `AgentEvent`, told apart by `kind`; UCIDs are exact strings. Throws `INVALID_INPUT`
   * when the body is no event (too large, unreadable, neither kind).
   */
  static parseEvent(contentType: string, body: Buffer | Uint8Array | string): OzonetelEvent
  /**
   * The CDR record of the call an event is about (`fetchCdrByUCID` with the event's
   * `ucid` — never `monitorUcid` — on the event's day, under the account's CDR pace);
   * `null` when Ozonetel has none yet (it appears after the call ends).
   */
  callRecordFor(event: CallEvent): Promise<CallRecord | null>
  /**
   * Call history as pages of `pageSize` records (1..=500; `fetchCdrByPagination`), day by
   * day over the query's window, each page a request paced to the account's CDR limit: an
   * async iterator of `CdrPage`. A bad query or page size rejects the first `next()`
   * (nothing sent); the iterator ends after an error; `return()` stops it.
   */
  callRecordPages(query: CallRecordsQuery, pageSize: number): CallRecordPages
}

/** The sidecar registry of one account in Redis: which sidecar serves which agents. */
export declare class SidecarRegistry {
  /**
   * Connects to the registry of `account` (the Ozonetel user name) in the Redis at
   * `redisUrl`, keys under `options.prefix` (default `helix:ozonetel:`, the dispatcher's).
   * Rejects `INVALID_INPUT` for a bad account or URL, `TRANSPORT` when Redis cannot be
   * reached; neither repeats the password.
   */
  static connect(account: string, redisUrl: string, options?: SidecarRegistryOptions): Promise<SidecarRegistry>
  /** The account this registry serves. */
  get account(): string
  /**
   * Registers (or re-registers) `sidecarId` as the sidecar serving `agentIds`, its events
   * POSTed to `url`, for `ttlMs` (1 000..=3 600 000). Its previous agent list is replaced;
   * the latest registration of an agent wins, and the agents taken from other live sidecars
   * are listed in `displaced`.
   */
  register(sidecarId: string, url: string, agentIds: string[], ttlMs: number): Promise<SidecarRegistration>
  /**
   * Keeps `sidecarId`'s registration alive for `ttlMs` from now. Resolves with the agents
   * it still serves (fewer when a later registration took some), or `null` when the
   * registration expired or was removed: register again.
   */
  heartbeat(sidecarId: string, ttlMs: number): Promise<string[] | null>
  /**
   * Removes `sidecarId`'s registration and its agents at once (a clean shutdown); `true`
   * when it was live.
   */
  deregister(sidecarId: string): Promise<boolean>
  /** The live sidecar serving `agentId`, or `null`. */
  lookup(agentId: string): Promise<SidecarRoute | null>
  /** Every live sidecar of the account, by id. */
  sidecars(): Promise<SidecarInfo[]>
}

/**
 * A transfer under way (the target is conferenced in). Finish it with `complete()` (the agent
 * leaves) or `cancel()` (the target is dropped); either may be called once.
 */
export declare class Transfer {
  /** The call being transferred. */
  get ucid(): string
  /** The target's number, normalised. */
  get target(): string
  /** `'warm'` or `'cold'`. */
  get mode(): TransferMode
  /** Where the transfer stands now. */
  get state(): TransferState
  /**
   * Hands the call to the target by dropping the agent (KICK_CALL). Rejects `CLOSED` when
   * the transfer is already finished.
   */
  complete(): Promise<void>
  /** Abandons the transfer by dropping the target (KICK_CALL). */
  cancel(): Promise<void>
}

/**
 * Replaces card, Aadhaar, PAN, phone and e-mail details, and numbers after identifier words
 * ("policy", "member id", "card", and `keywords`), with their kind's marker (`[card]`,
 * `[aadhaar]`, …) — the rules the live transcript is redacted by. `leadPhone` is the caller's
 * own number: it stays in the text (an agent may see it). Throws `INVALID_INPUT` for a text
 * that is not a string or bad options (naming the field).
 */
export declare function redact(text: string, options?: RedactOptions): RedactResult
