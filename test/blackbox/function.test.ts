/** The user's pipeline as a black box: limits, timeout, retries of transient errors, accounting, cache identity. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFunctionBlackBox } from "../../src/blackbox/client.js";
import { TimeoutError } from "../../src/blackbox/errors.js";
import { type BlackBoxQuery, TransientError } from "../../src/blackbox/providers/function.js";

const query = (instruction: string, input: string) => ({
  prompt: `Instruction: ${instruction}\n\nInput: ${input}`,
  parts: { instruction, input },
});
const noSleep = async () => {};

describe("createFunctionBlackBox", () => {
  it("passes instruction and input (not the rendered prompt) and keeps to the concurrency limit", async () => {
    let inFlight = 0;
    let most = 0;
    const seen: BlackBoxQuery[] = [];
    const bb = createFunctionBlackBox(
      async (q) => {
        seen.push(q);
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return `${q.instruction}|${q.input}`;
      },
      { concurrency: 3, cache: false },
    );
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => bb.complete(query("I", `x${i}`))));
    expect(out.map((c) => c.text)).toEqual(Array.from({ length: 10 }, (_, i) => `I|x${i}`));
    expect(most).toBe(3);
    expect(seen[0].signal).toBeInstanceOf(AbortSignal);
    expect(bb.id).toBe("function:anonymous");
    expect(bb.totals()).toMatchObject({ completions: 10, requests: 10, cacheHits: 0 });
    await bb.close();
    await bb.close(); // idempotent
  });

  it("retries errors marked transient (class or flag, Retry-After honoured) and fails at once on others", async () => {
    let n = 0;
    const waits: number[] = [];
    const flaky = createFunctionBlackBox(
      async () => {
        n++;
        if (n === 1) throw new TransientError("rate limited", { retryAfterMs: 1234 });
        if (n === 2) throw Object.assign(new Error("busy"), { transient: true });
        return "ok";
      },
      { cache: false, sleep: async (ms) => void waits.push(ms) },
    );
    expect((await flaky.complete(query("I", "a"))).text).toBe("ok");
    expect(n).toBe(3);
    expect(waits[0]).toBeGreaterThanOrEqual(1234); // the hint, plus jitter
    expect(flaky.totals().retries).toBe(2);

    let m = 0;
    const broken = createFunctionBlackBox(
      async () => {
        m++;
        throw new Error("my pipeline is broken");
      },
      { cache: false, sleep: noSleep },
    );
    await expect(broken.complete(query("I", "a"))).rejects.toThrow("my pipeline is broken");
    expect(m).toBe(1);
  });

  it("times out a call that never answers (its signal aborts) and retries it", async () => {
    let aborted = 0;
    let calls = 0;
    const bb = createFunctionBlackBox(
      ({ signal }) => {
        calls++;
        signal.addEventListener("abort", () => aborted++);
        return new Promise<string>(() => {}); // ignores its signal: the wrapper still gives up
      },
      { cache: false, timeoutMs: 20, maxRetries: 1, sleep: noSleep },
    );
    await expect(bb.complete(query("I", "a"))).rejects.toBeInstanceOf(TimeoutError);
    expect(calls).toBe(2);
    expect(aborted).toBe(2);
  });

  it("counts the usage a pipeline reports, and rejects malformed answers with a clear error", async () => {
    const bb = createFunctionBlackBox(
      async ({ input }) =>
        input === "bad"
          ? (42 as unknown as string)
          : { text: "fine", usage: { inputTokens: 10, outputTokens: 3, costUsd: 0.002 } },
      { cache: false },
    );
    const c = await bb.complete(query("I", "a"));
    expect(c).toMatchObject({ text: "fine", usage: { inputTokens: 10, outputTokens: 3 }, costUsd: 0.002 });
    await bb.complete(query("I", "b"));
    expect(bb.totals()).toMatchObject({ inputTokens: 20, outputTokens: 6, costUsd: 0.004 });
    await expect(bb.complete(query("I", "bad"))).rejects.toThrow(
      /returned 42; it must return a string or \{ text, usage \}/,
    );
  });

  it("caches answers under its id only (a new id = a new pipeline), never without an id", async () => {
    const cachePath = join(mkdtempSync(join(tmpdir(), "iz-fn-")), "cache.sqlite");
    let calls = 0;
    const fn = async ({ instruction, input }: BlackBoxQuery) => {
      calls++;
      return `${instruction}:${input}`;
    };
    const v1 = createFunctionBlackBox(fn, { id: "pipe@1", cachePath });
    await v1.complete(query("I", "a"));
    await v1.close();
    const again = createFunctionBlackBox(fn, { id: "pipe@1", cachePath });
    // the rendered prompt differs (test template), the instruction and input do not: a hit
    const hit = await again.complete({ prompt: "other template", parts: { instruction: "I", input: "a" } });
    expect(hit.cached).toBe(true);
    await again.close();
    expect(calls).toBe(1);
    const v2 = createFunctionBlackBox(fn, { id: "pipe@2", cachePath });
    expect((await v2.complete(query("I", "a"))).cached).toBe(false);
    await v2.close();
    const anonymous = createFunctionBlackBox(fn, { cachePath });
    await anonymous.complete(query("I", "a"));
    expect((await anonymous.complete(query("I", "a"))).cached).toBe(false);
    expect(calls).toBe(4);
  });

  it("refuses a request that is not a scoring query (APE proposals need a model)", async () => {
    const bb = createFunctionBlackBox(async () => "x", { cache: false });
    await expect(bb.complete({ prompt: "I gave a friend an instruction" })).rejects.toThrow(/proposer/);
  });
});
