import type { LiveAssistConfig, OzonetelClientOptions } from '@helix-engage/native'

/** What the sidecar needs: one Ozonetel account and the live-assist services. */
export interface HelixConfig {
  ozonetel: OzonetelClientOptions
  /** Everything but the per-call parts (`lead`, `audio`), which the browser sends. */
  assist: Omit<LiveAssistConfig, 'lead' | 'audio'>
}

/** The injection token of the configuration. */
export const HELIX_CONFIG = Symbol('HELIX_CONFIG')

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

/**
 * Configuration from the environment, as the sidecar deploys it. With no OZONETEL_* variables
 * at all, run `cargo run -p helix-engage-sim -- serve` and point the *_URL variables at it.
 */
export function configFromEnv(): HelixConfig {
  return {
    ozonetel: {
      userName: required('OZONETEL_USER_NAME'),
      apiKey: required('OZONETEL_API_KEY'),
      baseUrl: process.env.OZONETEL_BASE_URL,
      did: process.env.OZONETEL_DID,
      agentPhoneName: process.env.OZONETEL_AGENT_PHONE_NAME,
      agentNumber: process.env.OZONETEL_AGENT_NUMBER,
    },
    assist: {
      deepgram: { apiKey: required('DEEPGRAM_API_KEY'), url: process.env.DEEPGRAM_URL },
      suggestions: process.env.OPENAI_API_KEY
        ? { apiKey: process.env.OPENAI_API_KEY, baseUrl: process.env.OPENAI_BASE_URL }
        : null,
    },
  }
}
