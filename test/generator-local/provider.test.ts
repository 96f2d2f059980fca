import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlackBox } from "../../src/blackbox/client.js";
import { TimeoutError } from "../../src/blackbox/errors.js";
import { createLocalProvider } from "../../src/blackbox/providers/local.js";
import type { BlackBox, Provider } from "../../src/blackbox/types.js";
import { LOCAL_BATCH_SIZE } from "../../src/generator/batch-limits.js";
import type { BatchScheduler } from "../../src/generator/batch-scheduler.js";
import type { LocalModel } from "../../src/generator/local-model.js";
import { INPUTS, queries, testModel } from "./helpers.js";

/** What the tests read off the local provider behind the Provider interface. */
type Inner = Provider & { scheduler: BatchScheduler<unknown, unknown>; local: LocalModel };

/** The provider a black box wraps (tests only). */
async function innerOf(bb: BlackBox): Promise<Inner> {
  const w = bb as unknown as { providerReady: Promise<Inner> };
  return w.providerReady;
}

let dir: string;
beforeAll(() => {
  // one folder with both variants, as onnx-community repositories have them
  dir = testModel({ preset: "micro", seed: 9 }, { preset: "micro", seed: 9, linears: "q8" });
});

describe("local: black box, batched", () => {
  const open: BlackBox[] = [];
  afterAll(async () => {
    for (const bb of open) await bb.close();
  });
  const blackBox = (concurrency?: number, extra: Record<string, unknown> = {}) => {
    const bb = createBlackBox(`local:${dir}`, {
      concurrency,
      cache: false,
      maxTokens: 6,
      providerOptions: { dtype: "fp32", ...extra },
    });
    open.push(bb);
    return bb;
  };

  it("serves 20 concurrent queries at concurrency 8 and at the default (40) with the answers of concurrency 1", async () => {
    const prompts = queries(["answer with one word", "write the opposite"], INPUTS);
    const one = blackBox(1);
    const want: string[] = [];
    for (const p of prompts) want.push((await one.complete({ prompt: p })).text);
    const eight = blackBox(8);
    const got = await Promise.all(prompts.map((p) => eight.complete({ prompt: p })));
    expect(got.map((g) => g.text)).toEqual(want);
    const sizes = (await innerOf(eight)).scheduler.batchSizes;
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    expect(Math.max(...sizes)).toBe(8);
    // no concurrency given: local targets get the batch size (40), so the 20 queries batch together
    const dflt = blackBox(undefined);
    const again = await Promise.all(prompts.map((p) => dflt.complete({ prompt: p })));
    expect(again.map((g) => g.text)).toEqual(want);
    expect(Math.max(...(await innerOf(dflt)).scheduler.batchSizes)).toBeGreaterThan(8);
    expect(Math.max(...(await innerOf(dflt)).scheduler.batchSizes)).toBeLessThanOrEqual(LOCAL_BATCH_SIZE);
    expect((await innerOf(one)).scheduler.batchSizes.every((n) => n === 1)).toBe(true);
  });

  it("defaults to fp32 (reproducible batches); dtype auto picks q8 when the folder has one", async () => {
    const auto = await createLocalProvider(dir, { providerOptions: { dtype: "auto" } });
    const fp32 = await createLocalProvider(dir);
    try {
      expect((auto as Inner).local.dtype).toBe("q8");
      expect((fp32 as Inner).local.dtype).toBe("fp32");
      const onlyFp32 = testModel({ preset: "micro", seed: 9 });
      const p = await createLocalProvider(onlyFp32, { providerOptions: { dtype: "auto" } });
      expect((p as Inner).local.dtype).toBe("fp32");
      await p.close?.();
    } finally {
      await auto.close?.();
      await fp32.close?.();
    }
  });
});

describe("local: provider queue", () => {
  it("never decodes a request whose signal aborts while it is queued", async () => {
    const p = (await createLocalProvider(dir, { dtype: "fp32", maxTokens: 40, batchWaitMs: 0 })) as Inner;
    const seen: string[] = [];
    const complete = p.local.completeBatch.bind(p.local);
    p.local.completeBatch = (reqs, o) => {
      for (const r of reqs) seen.push(String(r.prompt));
      return complete(reqs, o);
    };
    try {
      const signal = new AbortController().signal;
      const first = p.complete({ prompt: "first" }, { signal });
      await new Promise((r) => setTimeout(r, 0)); // the first batch is under way
      const ac = new AbortController();
      const second = p.complete({ prompt: "second" }, { signal: ac.signal });
      const third = p.complete({ prompt: "third" }, { signal });
      expect(p.scheduler.queued).toBe(2);
      ac.abort(new Error("caller gave up"));
      await expect(second).rejects.toThrow("caller gave up");
      await first;
      await third;
      expect(seen).toEqual(["first", "third"]);
    } finally {
      await p.close?.();
    }
  });

  it("counts the timeout from the start of the request's batch, not from the queue", async () => {
    const p = (await createLocalProvider(dir, {
      dtype: "fp32",
      maxTokens: 30,
      batchWaitMs: 0,
      timeoutMs: 60_000,
    })) as Inner;
    const tight = (await createLocalProvider(dir, { dtype: "fp32", maxTokens: 200, timeoutMs: 1 })) as Inner;
    try {
      const signal = new AbortController().signal;
      const first = p.complete({ prompt: "first" }, { signal });
      await new Promise((r) => setTimeout(r, 0));
      // the client's timer of a queued request fires: the request stays and is answered
      const ac = new AbortController();
      const queued = p.complete({ prompt: "queued" }, { signal: ac.signal });
      ac.abort(new TimeoutError("client timer"));
      const [a, b] = await Promise.all([first, queued]);
      expect(a.usage.outputTokens).toBeGreaterThan(0);
      expect(b.text).toBe((await p.local.complete("queued", { maxNewTokens: 30 })).text);
      // once its batch runs longer than timeoutMs, a request leaves it with a TimeoutError
      await expect(tight.complete({ prompt: "long" }, { signal })).rejects.toThrow(TimeoutError);
    } finally {
      await p.close?.();
      await tight.close?.();
    }
  });
});
