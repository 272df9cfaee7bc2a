import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { AgentRef, DeepgramPreset, LiveAssistConfig, OzonetelClientOptions } from '@helix-engage/native'

/**
 * The sidecar's agents: agent id → the rest of its `AgentRef` (SIP extension, number, campaign,
 * DID). An agent who is not in it cannot log in; one who is acts only as itself. There is no
 * default agent: a request that names none is refused.
 */
export type AgentDirectory = Record<string, Omit<AgentRef, 'id'>>

/** What the sidecar needs: one Ozonetel account, its agents and the live-assist services. */
export interface HelixConfig {
  /** The account (no agent in it: agents come from the directory, per session). */
  ozonetel: OzonetelClientOptions
  agents: AgentDirectory
  /** How long a desk session lasts after login (default 12 h). */
  sessionTtlMs?: number
  /**
   * When set, the webhook endpoints (`POST /ozonetel/events/call|agent`) require
   * `?key=<webhookKey>`, and `EventsService.subscribe` adds it to the URLs it registers:
   * Ozonetel signs nothing, so the URL is the secret.
   */
  webhookKey?: string
  /**
   * Everything but the per-call parts (`lead`, `audio`), which the browser sends. With
   * `suggestions.postCall` set and no `dispositions` in it, each session gets the account's own
   * list (`client.dispositions()`, fetched once per process; see `OzonetelService`).
   */
  assist: Omit<LiveAssistConfig, 'lead' | 'audio'>
  /**
   * When set, the sidecar registers its directory's agents in the sidecar registry that
   * `helix events dispatch` routes by, so the account's events for them are forwarded here
   * (see `SidecarRegistration`).
   */
  routing?: RoutingConfig
}

/** Where and how the sidecar registers with the event dispatcher. */
export interface RoutingConfig {
  /** The dispatcher's Redis (`HELIX_DISPATCH_REDIS_URL`). */
  redisUrl: string
  /** Its key prefix, the dispatcher's `--redis-prefix` (`HELIX_DISPATCH_REDIS_PREFIX`; default `helix:ozonetel:`). */
  prefix?: string
  /** This sidecar's own base URL as the dispatcher reaches it (`HELIX_SIDECAR_URL`, e.g. `http://10.0.0.7:3000`). */
  sidecarUrl: string
  /** This sidecar's id in the registry (`HELIX_SIDECAR_ID`, else `hostname:port`). */
  sidecarId: string
  /** The registration's TTL in seconds, 1..=3600 (`HELIX_SIDECAR_TTL_SECS`, default 30); heartbeats every third of it. */
  ttlSecs: number
}

/** The values `HELIX_ASSIST_LANGUAGE` takes: a `deepgram.preset`, or unset for Deepgram's defaults. */
const LANGUAGE_PRESETS = ['indian-multilingual'] as const

/** `deepgram.preset` from `HELIX_ASSIST_LANGUAGE`; a value it does not know stops the start-up. */
function presetFromEnv(): { preset?: DeepgramPreset } {
  const value = process.env.HELIX_ASSIST_LANGUAGE?.trim()
  if (!value) return {}
  const preset = LANGUAGE_PRESETS.find((p) => p === value)
  if (!preset) throw new Error(`HELIX_ASSIST_LANGUAGE must be one of ${LANGUAGE_PRESETS.join(', ')} (or unset)`)
  return { preset }
}

/** The injection token of the configuration. */
export const HELIX_CONFIG = Symbol('HELIX_CONFIG')

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

/** The directory from `HELIX_AGENTS_FILE` (a JSON file) or `HELIX_AGENTS` (JSON text). */
function agentsFromEnv(): AgentDirectory {
  const text = process.env.HELIX_AGENTS_FILE ? readFileSync(process.env.HELIX_AGENTS_FILE, 'utf8') : required('HELIX_AGENTS')
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('the agent directory must be a JSON object: { "<agent id>": { "phoneName", "number", "campaign", "did" } }')
  }
  return parsed as AgentDirectory
}

/** `routing` from the environment: only when both the dispatcher's Redis and this sidecar's URL are set. */
function routingFromEnv(): RoutingConfig | undefined {
  const redisUrl = process.env.HELIX_DISPATCH_REDIS_URL
  const sidecarUrl = process.env.HELIX_SIDECAR_URL
  if (!redisUrl && !sidecarUrl) return undefined
  if (!redisUrl || !sidecarUrl) throw new Error('set both HELIX_DISPATCH_REDIS_URL and HELIX_SIDECAR_URL to register with the event dispatcher (or neither)')
  const ttlText = process.env.HELIX_SIDECAR_TTL_SECS?.trim() || '30'
  const ttlSecs = Number(ttlText)
  if (!Number.isInteger(ttlSecs) || ttlSecs < 1 || ttlSecs > 3600) throw new Error('HELIX_SIDECAR_TTL_SECS must be a whole number of seconds, 1..=3600')
  return {
    redisUrl,
    prefix: process.env.HELIX_DISPATCH_REDIS_PREFIX || undefined,
    sidecarUrl,
    sidecarId: process.env.HELIX_SIDECAR_ID || `${hostname()}:${process.env.PORT ?? 3000}`,
    ttlSecs,
  }
}

/**
 * Configuration from the environment, as the sidecar deploys it. With no OZONETEL_* variables
 * at all, run `cargo run -p helix-engage-sim -- serve` and point the *_URL variables at it.
 * The environment names the account only — never an agent.
 */
export function configFromEnv(): HelixConfig {
  return {
    ozonetel: {
      userName: required('OZONETEL_USER_NAME'),
      apiKey: required('OZONETEL_API_KEY'),
      baseUrl: process.env.OZONETEL_BASE_URL,
      // The subscription API's host (default subscription.ozonetel.com; the simulator serves it too).
      eventsBaseUrl: process.env.OZONETEL_EVENTS_BASE_URL,
      ...(process.env.HELIX_REDIS_URL ? { accountStore: { redisUrl: process.env.HELIX_REDIS_URL } } : {}),
    },
    agents: agentsFromEnv(),
    webhookKey: process.env.HELIX_WEBHOOK_KEY,
    routing: routingFromEnv(),
    assist: {
      deepgram: { apiKey: required('DEEPGRAM_API_KEY'), url: process.env.DEEPGRAM_URL, ...presetFromEnv() },
      // The local redactor is the library's default; said here so nobody turns it off by accident.
      redaction: { enabled: true },
      suggestions: process.env.OPENAI_API_KEY
        ? {
            apiKey: process.env.OPENAI_API_KEY,
            baseUrl: process.env.OPENAI_BASE_URL,
            // The post-call summary pre-fills the disposition draft; the account's dispositions
            // are filled in per session by OzonetelService.
            postCall: {},
          }
        : null,
    },
  }
}
