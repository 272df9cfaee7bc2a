// @helix-engage/browser: the browser half of live assist. This release holds the DSP core the
// capture worklet is built on: the resampler (context rate → 16 kHz) and the frame encoder
// (20 ms of interleaved linear16 little-endian, agent on channel 0, customer on channel 1).
export {
  Resampler,
  designFilter,
  OUTPUT_RATE,
  MIN_INPUT_RATE,
  MAX_INPUT_RATE,
  type FilterDesign,
} from "./resampler.js";
export { FrameEncoder, FRAME_SAMPLES, toInt16, type FrameEncoderOptions } from "./encoder.js";
