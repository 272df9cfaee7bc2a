/**
 * `TranscriptStore`: the headless state under `<helix-live-transcript>`, fed with the gateway's
 * events (`handle`, shaped to be `connectAssist`'s `onEvent`). Apps that render their own UI
 * subscribe to it directly.
 *
 * It keeps the finals in order (each with its speaker), the current interim per speaker (the
 * next interim replaces it, that speaker's final clears it) and the suggestion cards, each with
 * an id the agent can dismiss by.
 *
 * De-duplication: after a reconnect the gateway opens a new session, and what it repeats (a
 * replayed stretch of audio, the simulator's script) comes back as the same finals. Segments
 * carry no id, so a final's key is its speaker, start time (whole ms) and text: a repeat is
 * dropped, a new line that happens to start at the same time (the new session's clock restarts
 * at 0) but says something else is kept. Empty finals (the recogniser's "nothing said") only
 * clear the interim.
 */
import type { GatewayMessage, Segment, Speaker } from "./protocol.js";

export interface TranscriptLine {
  /** Stable within the store: the de-duplication key. */
  id: string;
  speaker: Speaker;
  channel: number;
  /** Seconds from the start of the session. */
  start: number;
  end: number;
  text: string;
}

export interface SuggestionCard {
  /** `s1`, `s2`, …: pass to `dismiss`. */
  id: string;
  kind: string;
  text: string;
  trigger: string;
}

export interface TranscriptSnapshot {
  finals: readonly TranscriptLine[];
  /** The current interim per speaker, if one is showing. */
  interim: Readonly<Partial<Record<Speaker, TranscriptLine>>>;
  suggestions: readonly SuggestionCard[];
}

export type TranscriptListener = (snapshot: TranscriptSnapshot) => void;

export class TranscriptStore {
  private finalsList: TranscriptLine[] = [];
  private seen = new Set<string>();
  private interims: Partial<Record<Speaker, TranscriptLine>> = {};
  private cards: SuggestionCard[] = [];
  private nextCard = 1;
  private listeners = new Set<TranscriptListener>();

  /** Feeds one gateway event; anything it does not show is ignored. Bound: pass it as `onEvent`. */
  readonly handle = (message: GatewayMessage): void => {
    if (message === null || typeof message !== "object") return;
    const data = message.data;
    switch (message.event) {
      case "transcript":
        if (data && typeof data === "object" && data.segment) this.transcript(data.segment, data.isFinal === true);
        return;
      case "suggestion":
        if (data && Array.isArray(data.items)) this.suggestion(data.items, String(data.trigger ?? ""));
        return;
      case "closed":
      case "summary":
        // The session is over: nothing more will finalise what is still interim.
        if (Object.keys(this.interims).length > 0) {
          this.interims = {};
          this.emit();
        }
        return;
    }
  };

  /** The finals in order; of one speaker if given. */
  finals(speaker?: Speaker): TranscriptLine[] {
    return speaker === undefined ? [...this.finalsList] : this.finalsList.filter((l) => l.speaker === speaker);
  }

  interim(speaker: Speaker): TranscriptLine | undefined {
    return this.interims[speaker];
  }

  suggestions(): SuggestionCard[] {
    return [...this.cards];
  }

  /** Removes a suggestion card; returns whether it was there. */
  dismiss(id: string): boolean {
    const before = this.cards.length;
    this.cards = this.cards.filter((c) => c.id !== id);
    if (this.cards.length === before) return false;
    this.emit();
    return true;
  }

  snapshot(): TranscriptSnapshot {
    return { finals: this.finals(), interim: { ...this.interims }, suggestions: this.suggestions() };
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: TranscriptListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Forgets everything (a new call). */
  clear(): void {
    this.finalsList = [];
    this.seen.clear();
    this.interims = {};
    this.cards = [];
    this.emit();
  }

  private transcript(segment: Segment, isFinal: boolean): void {
    if (typeof segment.speaker !== "string") return;
    const text = typeof segment.text === "string" ? segment.text.trim() : "";
    const start = Number(segment.start) || 0;
    const line: TranscriptLine = {
      id: `${segment.speaker}|${Math.round(start * 1000)}|${text}`,
      speaker: segment.speaker,
      channel: Number(segment.channel) || 0,
      start,
      end: Number(segment.end) || start,
      text,
    };
    if (!isFinal) {
      if (text === "") return;
      this.interims = { ...this.interims, [line.speaker]: line };
      this.emit();
      return;
    }
    let changed = false;
    if (this.interims[line.speaker]) {
      const { [line.speaker]: _gone, ...rest } = this.interims;
      this.interims = rest;
      changed = true;
    }
    if (text !== "" && !this.seen.has(line.id)) {
      this.seen.add(line.id);
      this.finalsList.push(line);
      changed = true;
    }
    if (changed) this.emit();
  }

  private suggestion(items: Array<{ kind?: unknown; text?: unknown }>, trigger: string): void {
    const added = items
      .filter((i) => i && typeof i.text === "string" && i.text !== "")
      .map((i) => ({ id: `s${this.nextCard++}`, kind: String(i.kind ?? "other"), text: i.text as string, trigger }));
    if (added.length === 0) return;
    this.cards = [...this.cards, ...added];
    this.emit();
  }

  private emit(): void {
    const snap = this.snapshot();
    for (const l of [...this.listeners]) l(snap);
  }
}
