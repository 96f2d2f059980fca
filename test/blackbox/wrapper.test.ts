/**
 * The retry wrapper with an in-process provider and an injected sleep: the backoff arithmetic,
 * checked without waiting.
 */
import { describe, expect, it } from "vitest";
import { createBlackBox } from "../../src/blackbox/client.js";
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  RateLimitError,
  ServerError,
} from "../../src/blackbox/errors.js";
import type { BlackBoxEvent, BlackBoxOptions } from "../../src/blackbox/options.js";
import { registerProvider } from "../../src/blackbox/registry.js";
import type { ProviderResponse } from "../../src/blackbox/types.js";

/** A provider whose n-th call (0-based) runs script[n] (or the last entry). */
let script: Array<() => ProviderResponse> = [];
let calls = 0;
registerProvider("scripted", (model) => ({
  provider: "scripted",
  model,
  complete: async () => {
    const step = script[Math.min(calls, script.length - 1)];
    calls++;
    return step();
  },
}));

const ok = (): ProviderResponse => ({ text: "ok", usage: { inputTokens: 2, outputTokens: 1 } });
const fail = (err: Error) => (): ProviderResponse => {
  throw err;
};

function run(steps: Array<() => ProviderResponse>, options: BlackBoxOptions = {}) {
  script = steps;
  calls = 0;
  const sleeps: number[] = [];
  const events: BlackBoxEvent[] = [];
  const bb = createBlackBox("scripted:m", {
    cache: false,
    env: {},
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { bb, sleeps, events, calls: () => calls };
}

describe("retry wrapper arithmetic (injected sleep)", () => {
  it("backs off exponentially with full jitter under the cap", async () => {
    const { bb, sleeps, calls } = run([fail(new ServerError("boom", { status: 503 }))], {
      maxRetries: 6,
      retryInitialDelayMs: 100,
      retryMaxDelayMs: 1000,
    });
    await expect(bb.complete({ prompt: "x" })).rejects.toBeInstanceOf(ServerError);
    expect(calls()).toBe(7);
    expect(sleeps).toHaveLength(6);
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** i));
    });
    expect(bb.totals()).toMatchObject({ requests: 7, retries: 6, completions: 0 });
  });

  it("draws the same waits from the same seed and different ones from another", async () => {
    const steps = [fail(new ConnectionError("reset"))];
    const opts = { maxRetries: 5, retryInitialDelayMs: 1000, retryMaxDelayMs: 100_000 };
    const a = run(steps, { ...opts, seed: 3 });
    await a.bb.complete({ prompt: "x" }).catch(() => {});
    const b = run(steps, { ...opts, seed: 3 });
    await b.bb.complete({ prompt: "x" }).catch(() => {});
    const c = run(steps, { ...opts, seed: 4 });
    await c.bb.complete({ prompt: "x" }).catch(() => {});
    expect(a.sleeps).toEqual(b.sleeps);
    expect(a.sleeps).not.toEqual(c.sleeps);
  });

  it("waits the server's Retry-After (never less), capped by maxWaitMs", async () => {
    const { bb, sleeps, events } = run(
      [
        fail(new RateLimitError("slow down", { retryAfterMs: 4000 })),
        fail(new RateLimitError("x", { retryAfterMs: 900_000 })),
        ok,
      ],
      { maxWaitMs: 30_000 },
    );
    expect((await bb.complete({ prompt: "x" })).text).toBe("ok");
    expect(sleeps[0]).toBeGreaterThanOrEqual(4000);
    expect(sleeps[0]).toBeLessThanOrEqual(4400);
    expect(sleeps[1]).toBe(30_000);
    expect(events.filter((e) => e.type === "wait").map((e) => (e as { reason: string }).reason)).toEqual([
      "retry-after",
      "retry-after",
    ]);
  });

  it("does not retry authentication, bad-request or unknown errors", async () => {
    for (const err of [new AuthenticationError("no"), new BadRequestError("bad"), new Error("bug")]) {
      const { bb, sleeps, calls } = run([fail(err)], { maxRetries: 6 });
      await expect(bb.complete({ prompt: "x" })).rejects.toBe(err);
      expect(calls()).toBe(1);
      expect(sleeps).toHaveLength(0);
    }
  });

  it("defaults to temperature 0 and applies the maxTokens default", async () => {
    let seen: unknown;
    registerProvider("spy", (model) => ({
      provider: "spy",
      model,
      complete: async (req) => {
        seen = req;
        return ok();
      },
    }));
    const bb = createBlackBox("spy:m", { cache: false, env: {}, maxTokens: 64 });
    await bb.complete({ prompt: "p", stop: [] });
    expect(seen).toEqual({ prompt: "p", temperature: 0, maxTokens: 64 });
    await bb.complete({ prompt: "p", maxTokens: 3, temperature: 1 });
    expect(seen).toEqual({ prompt: "p", temperature: 1, maxTokens: 3 });
  });

  it("ignores a throwing event hook", async () => {
    const { bb } = run([ok], {
      onEvent: () => {
        throw new Error("progress bar broke");
      },
    });
    expect((await bb.complete({ prompt: "x" })).text).toBe("ok");
  });

  it("rejects bad options with a UserError naming the option", () => {
    expect(() => createBlackBox("scripted:m", { cache: false, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => createBlackBox("scripted:m", { cache: false, maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => createBlackBox("scripted:m", { cache: false, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it("refuses calls after close", async () => {
    const { bb } = run([ok]);
    await bb.close();
    await expect(bb.complete({ prompt: "x" })).rejects.toThrow(/closed/);
  });
});
