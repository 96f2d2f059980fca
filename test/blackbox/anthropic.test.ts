/** The anthropic provider against the fake server's Messages API route (POST /v1/messages). */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import { AuthenticationError, RateLimitError } from "../../src/blackbox/errors.js";
import { acceptsTemperature } from "../../src/blackbox/providers/anthropic.js";
import type { BlackBox } from "../../src/blackbox/types.js";

const KEY = "sk-ant-test-key-0123456789";
let s: FakeOpenAI | undefined;
let bb: BlackBox | undefined;
afterEach(async () => {
  await bb?.close();
  await s?.close();
  bb = s = undefined;
});

describe("anthropic provider", () => {
  it("answers through the Messages API with usage, cost and the key from ANTHROPIC_API_KEY", async () => {
    s = await startFakeOpenAI({ apiKey: KEY });
    bb = createBlackBox("anthropic:claude-3-5-haiku-latest", {
      baseURL: s.origin,
      env: { ANTHROPIC_API_KEY: KEY },
      cache: false,
    });
    const c = await bb.complete({
      prompt: "Instruction: give the opposite\n\nInput: happy\n\nOutput:",
      system: "Answer with one word.",
      stop: ["\n"],
    });
    expect(c.text).toBe("sad");
    expect(c.usage.outputTokens).toBe(1);
    expect(c.costUsd).toBeCloseTo((c.usage.inputTokens * 0.8 + c.usage.outputTokens * 4) / 1e6, 15);
    const req = s.requests[0];
    expect(req.api).toBe("anthropic");
    expect(req.body).toMatchObject({
      model: "claude-3-5-haiku-latest",
      max_tokens: 1024,
      system: "Answer with one word.",
      stop_sequences: ["\n"],
      temperature: 0,
    });
  });

  it("maps 401 to AuthenticationError at once, naming ANTHROPIC_API_KEY and not the key", async () => {
    s = await startFakeOpenAI({ apiKey: KEY });
    const wrong = "sk-ant-WRONG-secret-987654321";
    bb = createBlackBox("anthropic:claude-3-5-haiku-latest", {
      baseURL: s.origin,
      apiKey: wrong,
      env: {},
      cache: false,
    });
    const err = await bb.complete({ prompt: "hi" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/ANTHROPIC_API_KEY/);
    expect((err as Error).message).not.toContain(wrong);
    expect(s.stats().requests).toBe(1);
  });

  it("retries a 429 and honours its Retry-After", async () => {
    s = await startFakeOpenAI({ faults: { 1: "429" }, retryAfter: "0.3" });
    const events: string[] = [];
    bb = createBlackBox("anthropic:claude-sonnet-4-5", {
      baseURL: s.origin,
      apiKey: KEY,
      env: {},
      cache: false,
      onEvent: (e) => {
        if (e.type === "retry") events.push(e.errorName);
      },
    });
    expect((await bb.complete({ prompt: "Instruction: repeat it\n\nInput: zebra\n\nOutput:" })).text).toBe(
      "zebra",
    );
    expect(events).toEqual([RateLimitError.name]);
    expect(s.requests[1].start - (s.requests[0].end ?? 0)).toBeGreaterThanOrEqual(295);
    // the Messages API deprecated temperature: newer models are not sent one
    expect(s.requests[1].body.temperature).toBeUndefined();
  });

  it("requires a key for Anthropic's own URL", () => {
    expect(() => createBlackBox("anthropic:claude-3-5-haiku-latest", { env: {}, cache: false })).toThrow(
      AuthenticationError,
    );
    expect(acceptsTemperature("claude-3-5-haiku-latest")).toBe(true);
    expect(acceptsTemperature("claude-sonnet-4-5")).toBe(false);
  });
});
