/**
 * `<helix-live-transcript>`: renders a `TranscriptStore` (property `store`). Finals by speaker,
 * each speaker's current interim in a lighter style, suggestion cards with a dismiss button.
 * The transcript is a `role="log"` live region (`aria-live="polite"`: new lines are read out
 * without interrupting); the cards are a labelled list. Text goes in through `textContent`
 * only, so nothing a caller says is parsed as markup.
 *
 * Theming (CSS custom properties, inherited through the shadow root): `--helix-agent-color`,
 * `--helix-customer-color`, `--helix-interim-opacity`, `--helix-card-bg`, `--helix-card-color`,
 * `--helix-font`, `--helix-gap`, `--helix-max-height`.
 *
 * The class is created inside `defineTranscriptElement()`, not at import, so importing this
 * module where there is no DOM (Node, server rendering) does nothing.
 */
import type { TranscriptSnapshot, TranscriptStore } from "./store.js";

export const TRANSCRIPT_TAG = "helix-live-transcript";

const STYLE = `
:host { display: block; font: var(--helix-font, 14px/1.4 system-ui, sans-serif); }
.log { max-height: var(--helix-max-height, 24em); overflow-y: auto; display: flex; flex-direction: column; gap: var(--helix-gap, 0.4em); }
.line { margin: 0; }
.who { font-weight: 600; margin-inline-end: 0.4em; }
.agent .who { color: var(--helix-agent-color, #1d4ed8); }
.customer .who { color: var(--helix-customer-color, #047857); }
.interim { opacity: var(--helix-interim-opacity, 0.55); font-style: italic; }
.cards { list-style: none; padding: 0; margin: var(--helix-gap, 0.4em) 0 0; display: flex; flex-direction: column; gap: var(--helix-gap, 0.4em); }
.card { background: var(--helix-card-bg, #f3f4f6); color: var(--helix-card-color, inherit); border-radius: 6px; padding: 0.5em 2em 0.5em 0.7em; position: relative; }
.kind { display: block; font-size: 0.8em; text-transform: uppercase; opacity: 0.7; }
.dismiss { position: absolute; top: 0.3em; right: 0.3em; border: none; background: transparent; cursor: pointer; font-size: 1em; }
`;

const LABEL: Record<string, string> = { agent: "Agent", customer: "Customer" };

/** Registers the element (once; later calls return the same class). Returns undefined without a DOM. */
export function defineTranscriptElement(tag: string = TRANSCRIPT_TAG): CustomElementConstructor | undefined {
  if (typeof customElements === "undefined" || typeof HTMLElement === "undefined") return undefined;
  const existing = customElements.get(tag);
  if (existing) return existing;

  class HelixLiveTranscript extends HTMLElement {
    private storeRef: TranscriptStore | null = null;
    private unsubscribe: (() => void) | null = null;
    private readonly log: HTMLElement;
    private readonly cards: HTMLElement;

    constructor() {
      super();
      const root = this.attachShadow({ mode: "open" });
      const style = document.createElement("style");
      style.textContent = STYLE;
      this.log = document.createElement("div");
      this.log.className = "log";
      this.log.setAttribute("role", "log");
      this.log.setAttribute("aria-live", "polite");
      this.log.setAttribute("aria-label", "Call transcript");
      this.log.part.add("log");
      this.cards = document.createElement("ul");
      this.cards.className = "cards";
      this.cards.setAttribute("aria-label", "Suggestions");
      this.cards.part.add("suggestions");
      root.append(style, this.log, this.cards);
    }

    get store(): TranscriptStore | null {
      return this.storeRef;
    }

    set store(store: TranscriptStore | null) {
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.storeRef = store;
      if (store && this.isConnected) this.unsubscribe = store.subscribe((s) => this.render(s));
      this.render(store?.snapshot());
    }

    connectedCallback(): void {
      if (this.storeRef && !this.unsubscribe) {
        this.unsubscribe = this.storeRef.subscribe((s) => this.render(s));
        this.render(this.storeRef.snapshot());
      }
    }

    disconnectedCallback(): void {
      this.unsubscribe?.();
      this.unsubscribe = null;
    }

    private line(speaker: string, text: string, interim: boolean): HTMLElement {
      const p = document.createElement("p");
      p.className = `line ${speaker === "agent" || speaker === "customer" ? speaker : "other"}${interim ? " interim" : ""}`;
      p.dataset.speaker = speaker;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = `${LABEL[speaker] ?? speaker}:`;
      const said = document.createElement("span");
      said.className = "text";
      said.textContent = text;
      p.append(who, said);
      return p;
    }

    private render(snap: TranscriptSnapshot | undefined): void {
      const atBottom = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 4;
      const lines: HTMLElement[] = [];
      for (const l of snap?.finals ?? []) lines.push(this.line(l.speaker, l.text, false));
      for (const l of Object.values(snap?.interim ?? {})) if (l) lines.push(this.line(l.speaker, l.text, true));
      this.log.replaceChildren(...lines);
      // Follow the conversation unless the agent scrolled up to read.
      if (atBottom) this.log.scrollTop = this.log.scrollHeight;

      const cards = (snap?.suggestions ?? []).map((c) => {
        const li = document.createElement("li");
        li.className = "card";
        li.dataset.id = c.id;
        li.part.add("card");
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = c.kind.replace(/_/g, " ");
        const text = document.createElement("span");
        text.className = "text";
        text.textContent = c.text;
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "dismiss";
        dismiss.textContent = "×";
        dismiss.setAttribute("aria-label", `Dismiss suggestion: ${c.text}`);
        dismiss.addEventListener("click", () => this.storeRef?.dismiss(c.id));
        li.append(kind, text, dismiss);
        return li;
      });
      this.cards.replaceChildren(...cards);
    }
  }

  customElements.define(tag, HelixLiveTranscript);
  return HelixLiveTranscript;
}
