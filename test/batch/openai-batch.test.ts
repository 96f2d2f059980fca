/**
 * The batch black box against a fake OpenAI Batch API (files + batches, the documented formats):
 * one batch per step, status transitions, prices, the cache, errors files and follow-up batches,
 * expired / failed / cancelled batches, transient API errors, aborted calls.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { estimateTokens } from "../../fixtures/fake-openai.js";
import {
  type BatchBlackBox,
  type BatchBlackBoxOptions,
  BatchCancelledError,
  BatchRequestError,
  createBatchBlackBox,
} from "../../src/blackbox/batch/batch-black-box.js";
import { memoryBatchStore } from "../../src/blackbox/batch/memory-store.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import { AuthenticationError } from "../../src/blackbox/errors.js";
import { estimateCost } from "../../src/blackbox/pricing.js";
import { type FakeBatchOpenAI, startFakeBatchOpenAI } from "../helpers/fake-batch-openai.js";
import { eventLog, prompt, tempDir, WORDS } from "./helpers.js";

const KEY = "sk-test-batch-key-0123456789";
let server: FakeBatchOpenAI | undefined;
const boxes: BatchBlackBox[] = [];
afterEach(async () => {
  for (const b of boxes.splice(0)) await b.close();
  await server?.close();
  server = undefined;
});

function box(s: FakeBatchOpenAI, options: BatchBlackBoxOptions = {}): BatchBlackBox {
  const bb = createBatchBlackBox("openai:gpt-4o-mini", {
    baseURL: s.url,
    apiKey: KEY,
    env: {},
    cachePath: join(tempDir(), "cache.sqlite"),
    batchPollMs: 1,
    idleMs: 5,
    sleep: async () => {},
    ...options,
  });
  boxes.push(bb);
  return bb;
}

const antonym: Record<string, string> = {
  hot: "cold",
  big: "small",
  fast: "slow",
  happy: "sad",
  up: "down",
  light: "dark",
  open: "closed",
  early: "late",
  old: "new",
  high: "low",
};

describe("OpenAI Batch API", () => {
  it("a step's requests become one batch: validating -> in_progress -> finalizing -> completed, at half price", async () => {
    server = await startFakeBatchOpenAI({ apiKey: KEY });
    const log = eventLog();
    const store = memoryBatchStore();
    const sent: number[] = [];
    const bb = box(server, { onBatchEvent: log.on, store });
    const words = WORDS.slice(0, 6);
    const out = await Promise.all(
      words.map((w, i) => bb.complete({ prompt: prompt(w), maxTokens: 8 }, { onSend: () => sent.push(i) })),
    );
    expect(out.map((c) => c.text)).toEqual(words.map((w) => antonym[w]));
    expect(server.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
    expect(sent.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // status transitions seen by the progress callback
    expect(log.statuses()).toEqual(["uploading", "validating", "in_progress", "finalizing", "completed"]);
    const last = log.events.at(-1)!;
    expect(last).toMatchObject({ type: "ended", provider: "openai", batchId: "batch_1", done: 6, total: 6 });
    // each answer at batchPriceFactor x the table price
    for (const [i, c] of out.entries()) {
      const full = estimateCost("openai:gpt-4o-mini", {
        inputTokens: estimateTokens(prompt(words[i])),
        outputTokens: estimateTokens(antonym[words[i]]),
      }).costUsd;
      expect(c.cached).toBe(false);
      expect(c.costUsd).toBeCloseTo(full * 0.5, 15);
    }
    expect(bb.totals()).toMatchObject({ completions: 6, requests: 6, cacheHits: 0 });
    expect(bb.priceFactor).toBe(0.5);
    // the input file: one POST /v1/chat/completions line per request, custom_id = the cache key
    const b = server.batches[0];
    expect(b.lines.map((l) => l.customId).sort()).toEqual(
      words.map((w) => bb.keyOf({ prompt: prompt(w), maxTokens: 8 })).sort(),
    );
    expect(b.lines[0].body).toMatchObject({ model: "gpt-4o-mini", temperature: 0, max_tokens: 8 });
    expect(b.metadata).toMatchObject({ instructzero_key: store.records()[0].key });
    expect(store.records()).toEqual([
      expect.objectContaining({ status: "collected", fileId: "file-1", batchId: "batch_1", attempt: 0 }),
    ]);
    // cached now: no new batch
    const again = await bb.complete({ prompt: prompt("hot"), maxTokens: 8 });
    expect(again).toMatchObject({ text: "cold", cached: true, costUsd: 0 });
    expect(server.stats().batchesCreated).toBe(1);
  });

  it("answers land in the same response cache as the client's (same keys both ways)", async () => {
    server = await startFakeBatchOpenAI({ apiKey: KEY });
    const cachePath = join(tempDir(), "shared.sqlite");
    const bb = box(server, { cachePath, maxTokens: 8 });
    await bb.complete({ prompt: prompt("hot"), system: "One word.", stop: ["\n"] });
    const client = createBlackBox("openai:gpt-4o-mini", {
      baseURL: server.url,
      apiKey: KEY,
      env: {},
      cachePath,
      maxTokens: 8,
    });
    try {
      expect(client.isCached?.({ prompt: prompt("hot"), system: "One word.", stop: ["\n"] })).toBe(true);
      expect(client.isCached?.({ prompt: prompt("hot") })).toBe(false);
      const c = await client.complete({ prompt: prompt("hot"), system: "One word.", stop: ["\n"] });
      expect(c).toMatchObject({ text: "cold", cached: true });
    } finally {
      await client.close();
    }
    expect(
      bb.isCached({ prompt: prompt("hot"), system: "One word.", stop: ["\n"], temperature: 0, maxTokens: 8 }),
    ).toBe(true);
  });

  it("identical calls share one line; the second is a hit at cost 0", async () => {
    server = await startFakeBatchOpenAI();
    const bb = box(server);
    const [a, b] = await Promise.all([
      bb.complete({ prompt: prompt("big") }),
      bb.complete({ prompt: prompt("big") }),
    ]);
    expect(server.batches[0].lines).toHaveLength(1);
    expect([a.cached, b.cached]).toEqual([false, true]);
    expect(b.costUsd).toBe(0);
  });

  it("requests in the errors file are retried in a follow-up batch", async () => {
    const failing = new Set(["fast", "up"]);
    server = await startFakeBatchOpenAI({
      fail: (l) =>
        l.batchNo === 1 && failing.has(/Input: (\w+)/.exec(l.prompt)![1])
          ? { status: 500, message: "The server had an error" }
          : undefined,
    });
    const log = eventLog();
    const store = memoryBatchStore();
    const bb = box(server, { onBatchEvent: log.on, store });
    const words = WORDS.slice(0, 6);
    const sends: string[] = [];
    const out = await Promise.all(
      words.map((w) => bb.complete({ prompt: prompt(w) }, { onSend: () => sends.push(w) })),
    );
    expect(out.map((c) => c.text)).toEqual(words.map((w) => antonym[w]));
    expect(server.stats().batchesCreated).toBe(2);
    expect(server.batches[1].lines.map((l) => /Input: (\w+)/.exec(l.prompt)![1]).sort()).toEqual([
      "fast",
      "up",
    ]);
    expect(sends).toHaveLength(6); // onSend once per call, not per batch
    expect(log.events.filter((e) => e.type === "retry")).toHaveLength(1);
    expect(store.records().map((r) => [r.attempt, r.status, r.customIds.length])).toEqual([
      [0, "collected", 6],
      [1, "collected", 2],
    ]);
    expect(bb.totals()).toMatchObject({ requests: 8, retries: 2, completions: 6 });
  });

  it("a request still failing after batchMaxRetries follow-ups rejects with a clear error", async () => {
    server = await startFakeBatchOpenAI({
      fail: (l) => (l.prompt.includes("Input: fast") ? { status: 503, message: "overloaded" } : undefined),
    });
    const bb = box(server, { batchMaxRetries: 2 });
    const [ok, bad] = await Promise.allSettled([
      bb.complete({ prompt: prompt("hot") }),
      bb.complete({ prompt: prompt("fast") }),
    ]);
    expect(ok.status).toBe("fulfilled");
    expect(bad.status).toBe("rejected");
    const err = (bad as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(BatchRequestError);
    expect(err.message).toMatch(/failed in 3 provider batch\(es\) \(--batch-max-retries 2\)/);
    expect(err.message).toMatch(/batch_1: HTTP 503: overloaded; batch_2: .*batch_3: /);
    expect(server.stats().batchesCreated).toBe(3);
  });

  it("a request the provider calls invalid (HTTP 400) rejects at once, without a follow-up", async () => {
    server = await startFakeBatchOpenAI({
      fail: (l) =>
        l.prompt.includes("Input: fast") ? { status: 400, message: "max_tokens is too large" } : undefined,
    });
    const bb = box(server);
    const r = await Promise.allSettled([
      bb.complete({ prompt: prompt("hot") }),
      bb.complete({ prompt: prompt("fast") }),
    ]);
    expect(r[0].status).toBe("fulfilled");
    const err = (r[1] as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(BatchRequestError);
    expect(err.message).toMatch(/refused the request in batch batch_1: HTTP 400: max_tokens is too large/);
    expect(server.stats().batchesCreated).toBe(1);
  });

  it("an expired batch: finished answers are kept, the expired half goes into a follow-up", async () => {
    server = await startFakeBatchOpenAI({
      script: (n) => (n === 1 ? ["validating", "in_progress", "expired"] : ["validating", "completed"]),
    });
    const log = eventLog();
    const bb = box(server, { onBatchEvent: log.on });
    const words = WORDS.slice(0, 6);
    const out = await Promise.all(words.map((w) => bb.complete({ prompt: prompt(w) })));
    expect(out.map((c) => c.text)).toEqual(words.map((w) => antonym[w]));
    expect(server.batches.map((b) => [b.status, b.lines.length])).toEqual([
      ["expired", 6],
      ["completed", 3],
    ]);
    expect(log.statuses()).toContain("expired");
  });

  it("a failed batch (validation) is retried, then rejected with the provider's errors", async () => {
    server = await startFakeBatchOpenAI({ script: () => ["validating", "failed"] });
    const bb = box(server, { batchMaxRetries: 1 });
    const err = await bb.complete({ prompt: prompt("hot") }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(BatchRequestError);
    expect((err as Error).message).toMatch(/no result \(batch status failed: failed: the batch failed\)/);
    expect(server.stats().batchesCreated).toBe(2);
  });

  it("cancel(): the batch is cancelled at the provider; finished answers resolve, the rest reject", async () => {
    server = await startFakeBatchOpenAI({
      script: () => ["validating", ...Array(50).fill("in_progress"), "completed"],
    });
    const bb = box(server, { batchPollMs: 5 });
    const calls = WORDS.slice(0, 4).map((w) => bb.complete({ prompt: prompt(w) }));
    while (bb.activeBatches()[0]?.batchId === undefined) await new Promise((r) => setTimeout(r, 2));
    expect(bb.activeBatches()[0]).toMatchObject({ provider: "openai", batchId: "batch_1", total: 4 });
    expect(await bb.cancel()).toEqual(["batch_1"]);
    const r = await Promise.allSettled(calls);
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    expect((r[2] as PromiseRejectedResult).reason).toBeInstanceOf(BatchCancelledError);
    expect(server.batches[0].status).toBe("cancelled");
    expect(server.stats()).toMatchObject({ cancels: 1, batchesCreated: 1 });
    expect(bb.activeBatches()).toEqual([]);
  });

  it("transient API errors (500 on upload and poll) are retried", async () => {
    server = await startFakeBatchOpenAI({
      fault: (n, method, path) =>
        (n === 1 && path === "/v1/files") || (n === 4 && method === "GET") ? 500 : undefined,
    });
    const bb = box(server);
    const c = await bb.complete({ prompt: prompt("hot") });
    expect(c.text).toBe("cold");
    expect(server.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
  });

  it("a bad key stops at once (AuthenticationError), and later calls are refused without a request", async () => {
    server = await startFakeBatchOpenAI({ apiKey: KEY });
    const bb = box(server, { apiKey: "sk-wrong-key-987654321" });
    const err = await bb.complete({ prompt: prompt("hot") }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).not.toContain("sk-wrong-key-987654321");
    const before = server.stats().requests;
    await expect(bb.complete({ prompt: prompt("big") })).rejects.toBeInstanceOf(AuthenticationError);
    expect(server.stats().requests).toBe(before);
  });

  it("a call whose signal aborted before its batch is submitted is not sent", async () => {
    server = await startFakeBatchOpenAI();
    const bb = box(server, { idleMs: 20 });
    const ac = new AbortController();
    const a = bb.complete({ prompt: prompt("hot") }, { signal: ac.signal });
    const b = bb.complete({ prompt: prompt("big") });
    ac.abort(new Error("interrupted"));
    await expect(a).rejects.toThrow("interrupted");
    expect((await b).text).toBe("small");
    expect(server.batches[0].lines).toHaveLength(1);
  });

  it("splits a queue larger than maxBatchRequests", async () => {
    server = await startFakeBatchOpenAI();
    const bb = box(server, { maxBatchRequests: 4 });
    await Promise.all(WORDS.slice(0, 6).map((w) => bb.complete({ prompt: prompt(w) })));
    expect(server.batches.map((b) => b.lines.length).sort()).toEqual([2, 4]);
  });

  it("refuses providers without a batch API", () => {
    expect(() => createBatchBlackBox("local:./model", {})).toThrow(/openai: and anthropic: targets/);
  });
});
