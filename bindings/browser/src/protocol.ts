/**
 * The gateway protocol's messages (`docs/assist-gateway.md`) as types. The session events are
 * the Node module's own `AssistEvent` union, imported type-only from `@helix-engage/native`
 * (mapped by `tsconfig.json` to `bindings/node/types.d.ts`): one definition, nothing copied,
 * nothing of it at run time.
 */
import type { AssistEvent, CallSummary, LeadContext, Segment, Speaker } from "@helix-engage/native";

export type { AssistEvent, CallSummary, LeadContext, Segment, Speaker };

/** What the gateway sends: `{ event, data }`; for a session event `data` is the event itself. */
export type GatewayEvent =
  | { event: "started"; data: Record<string, never> }
  | { event: "summary"; data: CallSummary }
  | { event: "error"; data: { code: string; message: string; service?: string } }
  | { [K in AssistEvent["type"]]: { event: K; data: Extract<AssistEvent, { type: K }> } }[AssistEvent["type"]];

/** A text frame as received, before it is known to be one of `GatewayEvent`. */
export interface GatewayMessage {
  event: string;
  data: any;
}
