import { test } from "node:test";
import assert from "node:assert/strict";
import { TranscriptStore, defineTranscriptElement } from "../src/index.js";

const seg = (speaker: string, start: number, text: string, channel = speaker === "agent" ? 0 : 1) => ({
  speaker,
  channel,
  start,
  end: start + 1,
  text,
  confidence: 0.9,
  words: [],
  speechFinal: true,
  latency: null,
});
const transcript = (speaker: string, start: number, text: string, isFinal: boolean) => ({
  event: "transcript",
  data: { type: "transcript", segment: seg(speaker, start, text), isFinal },
});

test("interims show per speaker and are replaced; that speaker's final clears it and is kept in order", () => {
  const store = new TranscriptStore();
  store.handle(transcript("customer", 0.5, "I wanted", false));
  store.handle(transcript("agent", 0.4, "Hello", false));
  store.handle(transcript("customer", 0.5, "I wanted to ask", false));
  assert.equal(store.interim("customer")?.text, "I wanted to ask");
  assert.equal(store.interim("agent")?.text, "Hello");
  store.handle(transcript("customer", 0.5, "I wanted to ask about the loan.", true));
  assert.equal(store.interim("customer"), undefined);
  assert.equal(store.interim("agent")?.text, "Hello", "the other speaker's interim stays");
  store.handle(transcript("agent", 0.4, "Hello, Asha.", true));
  store.handle(transcript("agent", 3, "  ", true)); // an empty final: nothing said
  assert.deepEqual(
    store.finals().map((l) => [l.speaker, l.channel, l.text]),
    [
      ["customer", 1, "I wanted to ask about the loan."],
      ["agent", 0, "Hello, Asha."],
    ],
  );
  assert.deepEqual(store.finals("agent").map((l) => l.text), ["Hello, Asha."]);
  assert.deepEqual(store.finals("customer").map((l) => l.text), ["I wanted to ask about the loan."]);
  store.handle(transcript("customer", 4, "And", false));
  store.handle({ event: "closed", data: { type: "closed" } });
  assert.deepEqual(store.snapshot().interim, {}, "a closed session leaves no interim hanging");
});

test("a reconnect's replay never shows a final twice; a new line at a reused start time is kept", () => {
  const store = new TranscriptStore();
  store.handle(transcript("agent", 0, "Good morning.", true));
  store.handle(transcript("customer", 1.2, "Morning, I have a question.", true));
  // The gateway drops the socket; the new session repeats what it heard, then goes on.
  store.handle({ event: "started", data: {} });
  store.handle(transcript("agent", 0, "Good morning.", true));
  store.handle(transcript("customer", 1.2, "Morning, I have a question.", false));
  store.handle(transcript("customer", 1.2, "Morning, I have a question.", true));
  store.handle(transcript("agent", 0, "Go ahead.", true)); // the new session's clock restarted
  store.handle(transcript("customer", 5, "What is the rate?", true));
  assert.deepEqual(store.finals().map((l) => l.text), [
    "Good morning.",
    "Morning, I have a question.",
    "Go ahead.",
    "What is the rate?",
  ]);
  assert.equal(new Set(store.finals().map((l) => l.id)).size, 4);
});

test("suggestions become cards with ids; dismiss removes one; listeners see each change until unsubscribed", () => {
  const store = new TranscriptStore();
  const seen: number[] = [];
  const off = store.subscribe((s) => seen.push(s.suggestions.length));
  store.handle({
    event: "suggestion",
    data: {
      type: "suggestion",
      trigger: "customer_turn_end",
      latency: 300,
      items: [
        { kind: "answer", text: "The rate is 9.5 %." },
        { kind: "next_step", text: "Offer a callback." },
        { kind: "info", text: "" },
      ],
    },
  });
  const cards = store.suggestions();
  assert.deepEqual(
    cards.map((c) => [c.id, c.kind, c.text, c.trigger]),
    [
      ["s1", "answer", "The rate is 9.5 %.", "customer_turn_end"],
      ["s2", "next_step", "Offer a callback.", "customer_turn_end"],
    ],
  );
  assert.equal(store.dismiss("s1"), true);
  assert.equal(store.dismiss("s1"), false, "already gone: no change, no notification");
  assert.deepEqual(store.suggestions().map((c) => c.id), ["s2"]);
  off();
  store.handle(transcript("agent", 0, "ok", true));
  assert.deepEqual(seen, [2, 1]);
});

test("events it does not show and malformed ones are ignored", () => {
  const store = new TranscriptStore();
  let calls = 0;
  store.subscribe(() => calls++);
  for (const e of [
    { event: "speechStarted", data: { type: "speechStarted", speaker: "agent", channel: 0, at: 1 } },
    { event: "transcript", data: null },
    { event: "transcript", data: { segment: { text: "no speaker" }, isFinal: true } },
    { event: "suggestion", data: { items: "nope" } },
    { event: "error", data: { code: "BAD_JSON", message: "x" } },
    null as unknown as { event: string; data: unknown },
  ]) {
    store.handle(e);
  }
  assert.equal(calls, 0);
  assert.deepEqual(store.snapshot(), { finals: [], interim: {}, suggestions: [] });
});

test("without a DOM, importing the package works and defineTranscriptElement does nothing", () => {
  assert.equal(defineTranscriptElement(), undefined);
});
