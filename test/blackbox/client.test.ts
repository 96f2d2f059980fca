/**
 * The black-box wrapper against a real HTTP server on 127.0.0.1 speaking the OpenAI wire format:
 * faults are injected by the server, and every claim is checked from the server's own log.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  ServerError,
  TimeoutError,
} from "../../src/blackbox/errors.js";
import type { BlackBoxEvent, BlackBoxOptions } from "../../src/blackbox/options.js";
import { fixedTemperature } from "../../src/blackbox/providers/openai.js";
import type { BlackBox } from "../../src/blackbox/types.js";

const WORDS = ["good", "hot", "big", "fast", "happy", "up", "light", "open", "early", "old"];
const ANSWERS: Record<string, string> = {
  good: "bad",
  hot: "cold",
  big: "small",
  fast: "slow",
  happy: "sad",
  up: "down",
  light: "dark",
  open: "closed",
  early: "late",
  old: "new",
};
const prompt = (word: string, instruction = "Write the antonym of the word.") =>
  `Instruction: ${instruction}\n\nInput: ${word}\n\nOutput:`;

const servers: FakeOpenAI[] = [];
const boxes: BlackBox[] = [];
afterEach(async () => {
  await Promise.all(boxes.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const s = await startFakeOpenAI(options);
  servers.push(s);
  return s;
}

function box(s: FakeOpenAI, options: BlackBoxOptions = {}, model = "gpt-4o-mini"): BlackBox {
  const b = createBlackBox(`openai:${model}`, {
    baseURL: s.url,
    cache: false,
    env: {},
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 50,
    ...options,
  });
  boxes.push(b);
  return b;
}

function tmpCache(): string {
  return join(mkdtempSync(join(tmpdir(), "iz-bb-")), "responses.sqlite");
}

describe("black box over the OpenAI wire format", () => {
  it("answers, reads usage, prices it and sends temperature 0 by default", async () => {
    const s = await server();
    const bb = box(s);
    const c = await bb.complete({ prompt: prompt("hot") });
    expect(c.text).toBe("cold");
    expect(c.cached).toBe(false);
    expect(c.usage.inputTokens).toBe(Math.ceil(prompt("hot").length / 4));
    expect(c.usage.outputTokens).toBe(1);
    expect(c.costUsd).toBeCloseTo((c.usage.inputTokens * 0.15 + c.usage.outputTokens * 0.6) / 1e6, 15);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0].body.temperature).toBe(0);
    expect(s.requests[0].body.model).toBe("gpt-4o-mini");
    const t = bb.totals();
    expect(t).toMatchObject({ completions: 1, requests: 1, cacheHits: 0, retries: 0, priced: true });
    expect(t.costUsd).toBeCloseTo(c.costUsd, 15);
  });

  it("sends system, stop and max tokens on the wire", async () => {
    const s = await server();
    const bb = box(s);
    await bb.complete({
      prompt: prompt("up"),
      system: "Be terse.",
      stop: ["\n"],
      maxTokens: 7,
      temperature: 0.3,
    });
    const body = s.requests[0].body as { messages: Array<{ role: string; content: string }> } & Record<
      string,
      unknown
    >;
    expect(body.messages[0]).toEqual({ role: "system", content: "Be terse." });
    expect(body.messages[1].role).toBe("user");
    expect(body.stop).toEqual(["\n"]);
    expect(body.max_tokens).toBe(7); // a custom base URL gets max_tokens
    expect(body.temperature).toBe(0.3);
  });

  it("honours Retry-After on 429: the retry arrives no earlier than the stated delay", async () => {
    const s = await server({ faults: { 1: "429" }, retryAfter: "1" });
    const events: BlackBoxEvent[] = [];
    const bb = box(s, { onEvent: (e) => events.push(e) });
    const c = await bb.complete({ prompt: prompt("big") });
    expect(c.text).toBe("small");
    expect(s.requests.map((r) => r.status)).toEqual([429, 200]);
    const gap = s.requests[1].start - (s.requests[0].end ?? 0);
    expect(gap).toBeGreaterThanOrEqual(995); // 1 s asked; timer granularity allowance only
    expect(events).toContainEqual(expect.objectContaining({ type: "wait", reason: "retry-after" }));
    expect(bb.totals()).toMatchObject({ completions: 1, requests: 2, retries: 1 });
  });

  it("loses no call under 500s, 503s, malformed and empty bodies, resets and 429s", async () => {
    const s = await server({
      faultRate: 0.35,
      faultKinds: ["429", "500", "503", "malformed", "no-choices", "reset"],
      retryAfter: "0.02",
      seed: 11,
    });
    const bb = box(s, { concurrency: 4, maxRetries: 12 });
    const words = Array.from({ length: 40 }, (_, i) => WORDS[i % WORDS.length]);
    const results = await Promise.all(
      words.map((w, i) => bb.complete({ prompt: prompt(w), system: `call ${i}` })), // distinct prompts
    );
    expect(results.map((r) => r.text)).toEqual(words.map((w) => ANSWERS[w]));
    const st = s.stats();
    expect(st.faults).toBeGreaterThan(5); // the run really was faulty
    const kinds = new Set(s.requests.map((r) => r.fault).filter(Boolean));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    expect(st.completions).toBe(40);
    const t = bb.totals();
    expect(t.completions).toBe(40);
    expect(t.requests).toBe(st.requests);
    expect(t.retries).toBe(st.requests - 40);
  });

  it("times out a slow response and retries it", async () => {
    const s = await server({ faults: { 1: "slow" }, slowMs: 3000 });
    const events: BlackBoxEvent[] = [];
    const bb = box(s, { timeoutMs: 1000, onEvent: (e) => events.push(e) });
    const c = await bb.complete({ prompt: prompt("fast") });
    expect(c.text).toBe("slow");
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0].fault).toBe("slow");
    expect(events).toContainEqual(expect.objectContaining({ type: "retry", errorName: "TimeoutError" }));
  });

  it("gives up with a TimeoutError after maxRetries + 1 slow requests", async () => {
    const s = await server({ faultRate: 1, faultKinds: ["slow"], slowMs: 3000 });
    const bb = box(s, { timeoutMs: 100, maxRetries: 2 });
    await expect(bb.complete({ prompt: prompt("hot") })).rejects.toBeInstanceOf(TimeoutError);
    expect(s.stats().requests).toBe(3);
  });

  it("bounds retries: a server that always fails gets exactly maxRetries + 1 requests", async () => {
    const s = await server({ faultRate: 1, faultKinds: ["500"] });
    const bb = box(s, { maxRetries: 4 });
    const err = await bb.complete({ prompt: prompt("hot") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(500);
    expect((err as Error).message).toMatch(/gave up after 5 attempts/);
    expect(s.stats().requests).toBe(5);
    expect(bb.totals()).toMatchObject({ completions: 0, requests: 5, retries: 4 });

    const s2 = await server({ faultRate: 1, faultKinds: ["malformed"] });
    const bb2 = box(s2, { maxRetries: 0 });
    await expect(bb2.complete({ prompt: prompt("hot") })).rejects.toBeInstanceOf(BadResponseError);
    expect(s2.stats().requests).toBe(1);
  });

  it("stops at once on 401 with a message naming the env var and never the key", async () => {
    const s = await server({ apiKey: "sk-right-key-000000" });
    const wrong = "sk-wrong-SECRET-123456789";
    const bb = box(s, { apiKey: wrong, maxRetries: 6 });
    const err = await bb.complete({ prompt: prompt("hot") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/OPENAI_API_KEY/);
    expect(msg).toMatch(/401/);
    expect(msg).not.toContain(wrong);
    expect(msg).not.toContain("SECRET");
    expect(String((err as Error).stack)).not.toContain(wrong);
    // nor anywhere in the error object, causes included (as a logger would print it)
    expect(inspect(err, { depth: 10 })).not.toContain("SECRET");
    expect(s.stats().requests).toBe(1);

    const ok = box(s, { apiKey: "sk-right-key-000000" });
    expect((await ok.complete({ prompt: prompt("hot") })).text).toBe("cold");
  });

  it("refuses to call OpenAI's own URL without a key, before any request", () => {
    let err: unknown;
    try {
      createBlackBox("openai:gpt-4o-mini", { cache: false, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/OPENAI_API_KEY/);
    // a custom server (vLLM, Ollama) may need no key
    expect(() =>
      createBlackBox("openai:m", { cache: false, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } }),
    ).not.toThrow();
  });

  it("stops at once on 400 with the provider's text and the model name", async () => {
    const s = await server({ faults: { 1: "400" } });
    const bb = box(s, {}, "gpt-nonexistent");
    const err = await bb.complete({ prompt: prompt("hot") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/gpt-nonexistent/);
    expect((err as Error).message).toMatch(/injected fault 400/);
    expect(s.stats().requests).toBe(1);
  });

  it("never exceeds the concurrency limit, and uses it", async () => {
    const s = await server({ latencyMs: 50 });
    const bb = box(s, { concurrency: 3 });
    await Promise.all(WORDS.concat(WORDS).map((w, i) => bb.complete({ prompt: `${prompt(w)} ${i}` })));
    expect(s.stats().requests).toBe(20);
    expect(s.stats().maxInFlight).toBe(3);

    const s8 = await server({
      latencyMs: 25,
      faultRate: 0.3,
      faultKinds: ["500", "429"],
      retryAfter: "0.01",
    });
    // default limit 8; the faults fall on requests by arrival order, which the machine's load decides:
    // retries enough that no call runs out of them (7 faults in a row, ~1% of runs with the default 6)
    const bb8 = box(s8, { maxRetries: 30 });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => bb8.complete({ prompt: prompt("hot", `antonym ${i}`) })),
    );
    expect(s8.stats().maxInFlight).toBeLessThanOrEqual(8);
    expect(s8.stats().maxInFlight).toBeGreaterThan(1);
  });
});

describe("provider details", () => {
  it("leaves temperature out for OpenAI reasoning models on OpenAI's URL only", () => {
    expect(fixedTemperature("o3-mini")).toBe(true);
    expect(fixedTemperature("gpt-5-mini")).toBe(true);
    expect(fixedTemperature("gpt-4o-mini")).toBe(false);
    expect(fixedTemperature("gpt-4.1")).toBe(false);
    expect(fixedTemperature("ollama-o3x")).toBe(false);
  });

  it("sends temperature to a custom server even for a reasoning-model name", async () => {
    const s = await server();
    await box(s, {}, "o3-mini").complete({ prompt: "q" });
    expect(s.requests[0].body.temperature).toBe(0);
  });
});

describe("persistent cache", () => {
  it("makes a second run issue zero requests, also after reopening the file", async () => {
    const s = await server();
    const cachePath = tmpCache();
    const first = box(s, { cache: true, cachePath });
    const run1 = await Promise.all(WORDS.map((w) => first.complete({ prompt: prompt(w) })));
    expect(s.stats().requests).toBe(10);
    const cost1 = first.totals().costUsd;
    expect(cost1).toBeGreaterThan(0);
    await first.close();

    const events: BlackBoxEvent[] = [];
    const second = box(s, { cache: true, cachePath, onEvent: (e) => events.push(e) });
    const run2 = await Promise.all(WORDS.map((w) => second.complete({ prompt: prompt(w) })));
    expect(s.stats().requests).toBe(10); // nothing new
    expect(run2.map((r) => r.text)).toEqual(run1.map((r) => r.text));
    expect(run2.every((r) => r.cached && r.costUsd === 0)).toBe(true);
    expect(run2.map((r) => r.usage)).toEqual(run1.map((r) => r.usage));
    // each hit says what the same answer cost when it was paid (a candidate's cost per query)
    expect(run2.map((r) => r.listUsd)).toEqual(run1.map((r) => r.costUsd));
    expect(run1.every((r) => r.listUsd === undefined)).toBe(true);
    expect(second.totals()).toMatchObject({ completions: 10, cacheHits: 10, requests: 0, costUsd: 0 });
    expect(events.filter((e) => e.type === "cache-hit")).toHaveLength(10);
  });

  it("keeps every answer paid for before a failure", async () => {
    const s = await server({ faults: { 3: "400" } });
    const cachePath = tmpCache();
    const bb = box(s, { cache: true, cachePath });
    await bb.complete({ prompt: prompt("hot") });
    await bb.complete({ prompt: prompt("big") });
    await expect(bb.complete({ prompt: prompt("old") })).rejects.toBeInstanceOf(BadRequestError);
    // a new process (new black box, same file) finds the first two without asking
    const again = box(s, { cache: true, cachePath });
    await again.complete({ prompt: prompt("hot") });
    await again.complete({ prompt: prompt("big") });
    expect(s.stats().requests).toBe(3);
    expect(again.totals().cacheHits).toBe(2);
  });

  it("keys on parameters: temperature, max tokens, stop and system each miss the cache", async () => {
    const s = await server();
    const bb = box(s, { cache: true, cachePath: tmpCache() });
    const p = prompt("hot");
    await bb.complete({ prompt: p });
    await bb.complete({ prompt: p, temperature: 0 }); // same as the default: hit
    expect(s.stats().requests).toBe(1);
    await bb.complete({ prompt: p, temperature: 0.5 });
    await bb.complete({ prompt: p, maxTokens: 5 });
    await bb.complete({ prompt: p, stop: ["."] });
    await bb.complete({ prompt: p, system: "x" });
    expect(s.stats().requests).toBe(5);
    await bb.complete({ prompt: p, system: "x" });
    expect(s.stats().requests).toBe(5);
    expect(bb.totals()).toMatchObject({ completions: 7, cacheHits: 2, requests: 5 });
  });

  it("keys on the server: another base URL is another cache entry", async () => {
    const a = await server();
    const b = await server({ answer: () => "from b" });
    const cachePath = tmpCache();
    expect((await box(a, { cache: true, cachePath }).complete({ prompt: "q" })).text).toBe("banana");
    expect((await box(b, { cache: true, cachePath }).complete({ prompt: "q" })).text).toBe("from b");
  });

  it("shares one request between identical concurrent calls", async () => {
    const s = await server({ latencyMs: 20 });
    const bb = box(s, { cache: true, cachePath: tmpCache() });
    const out = await Promise.all(Array.from({ length: 5 }, () => bb.complete({ prompt: prompt("light") })));
    expect(out.map((o) => o.text)).toEqual(Array(5).fill("dark"));
    expect(s.stats().requests).toBe(1);
    expect(out.filter((o) => o.cached)).toHaveLength(4);
    expect(bb.totals()).toMatchObject({ completions: 5, cacheHits: 4, requests: 1 });
  });

  it("with cache: false, repeats every request", async () => {
    const s = await server();
    const bb = box(s, { cache: false });
    await bb.complete({ prompt: prompt("hot") });
    await bb.complete({ prompt: prompt("hot") });
    expect(s.stats().requests).toBe(2);
    // concurrent identical calls are not merged either
    await Promise.all([1, 2, 3].map(() => bb.complete({ prompt: prompt("hot") })));
    expect(s.stats().requests).toBe(5);
    expect(bb.totals().cacheHits).toBe(0);
  });
});

describe("accounting", () => {
  it("matches the price table and the option overrides; unknown models are flagged unpriced", async () => {
    const s = await server();
    const priced = box(s, { prices: { "gpt-4o-mini": { input: 1000, output: 2000 } } });
    const c = await priced.complete({ prompt: prompt("hot") });
    expect(c.costUsd).toBeCloseTo((c.usage.inputTokens * 1000 + c.usage.outputTokens * 2000) / 1e6, 12);

    const unknown = box(s, {}, "my-vllm-model");
    const u = await unknown.complete({ prompt: prompt("hot") });
    expect(u.costUsd).toBe(0);
    expect(unknown.totals()).toMatchObject({ priced: false, costUsd: 0, inputTokens: u.usage.inputTokens });
  });

  it("sums tokens and dollars over calls; cache hits add no tokens", async () => {
    const s = await server();
    const bb = box(s, { cache: true, cachePath: tmpCache() });
    const cs = await Promise.all(["hot", "big", "up"].map((w) => bb.complete({ prompt: prompt(w) })));
    await bb.complete({ prompt: prompt("hot") });
    const t = bb.totals();
    expect(t.inputTokens).toBe(cs.reduce((a, c) => a + c.usage.inputTokens, 0));
    expect(t.outputTokens).toBe(cs.reduce((a, c) => a + c.usage.outputTokens, 0));
    expect(t.costUsd).toBeCloseTo(
      cs.reduce((a, c) => a + c.costUsd, 0),
      15,
    );
    expect(t.completions).toBe(4);
  });
});
