// @helix-engage/browser: the browser half of live assist. Capture (an AudioWorklet: resampler
// from the context's rate to 16 kHz, 20 ms interleaved linear16 frames, agent on channel 0,
// customer on channel 1), the gateway client, the headless transcript store and the
// <helix-live-transcript> element. The worklet itself (`worklet.js`) is loaded by URL, not
// exported: it registers a processor when evaluated.
export {
  Resampler,
  designFilter,
  OUTPUT_RATE,
  MIN_INPUT_RATE,
  MAX_INPUT_RATE,
  type FilterDesign,
} from "./resampler.js";
export { FrameEncoder, FRAME_SAMPLES, toInt16, type FrameEncoderOptions } from "./encoder.js";
export { startCapture, type Capture, type CaptureOptions } from "./capture.js";
export { connectAssist, type AssistClientOptions, type AssistConnection } from "./client.js";
export {
  TranscriptStore,
  type TranscriptLine,
  type TranscriptListener,
  type TranscriptSnapshot,
  type SuggestionCard,
} from "./store.js";
export { defineTranscriptElement, TRANSCRIPT_TAG } from "./element.js";
export type { AssistEvent, CallSummary, GatewayEvent, GatewayMessage, LeadContext, Segment, Speaker } from "./protocol.js";
