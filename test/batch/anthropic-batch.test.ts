/**
 * The batch black box against a fake Anthropic Message Batches API: create, poll (in_progress ->
 * ended, request_counts), stream results (succeeded / errored / canceled / expired), follow-ups, cancel.
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
import { estimateCost } from "../../src/blackbox/pricing.js";
import { type FakeBatchAnthropic, startFakeBatchAnthropic } from "../helpers/fake-batch-anthropic.js";
import { eventLog, prompt, tempDir, WORDS } from "./helpers.js";

const KEY = "sk-ant-batch-key-0123456789";
const MODEL = "anthropic:claude-3-5-haiku-latest";
let server: FakeBatchAnthropic | undefined;
const boxes: BatchBlackBox[] = [];
afterEach(async () => {
  for (const b of boxes.splice(0)) await b.close();
  await server?.close();
  server = undefined;
});

function box(s: FakeBatchAnthropic, options: BatchBlackBoxOptions = {}, model = MODEL): BatchBlackBox {
  const bb = createBatchBlackBox(model, {
    baseURL: s.origin,
    env: { ANTHROPIC_API_KEY: KEY },
    cachePath: join(tempDir(), "cache.sqlite"),
    batchPollMs: 1,
    idleMs: 5,
    sleep: async () => {},
    ...options,
  });
  boxes.push(bb);
  return bb;
}

const word = (p: string) => /Input: (\w+)/.exec(p)![1];

describe("Anthropic Message Batches", () => {
  it("one batch per step: in_progress -> ended, request_counts, results by custom_id, batch prices", async () => {
    server = await startFakeBatchAnthropic({ apiKey: KEY, pollsToEnd: 3 });
    const log = eventLog();
    const bb = box(server, { onBatchEvent: log.on, batchPriceFactor: 0.4 });
    const words = WORDS.slice(0, 5);
    const out = await Promise.all(
      words.map((w) => bb.complete({ prompt: prompt(w), system: "One word.", stop: ["\n"] })),
    );
    expect(out.map((c) => c.text)).toEqual(["cold", "small", "slow", "sad", "down"]);
    expect(server.stats()).toMatchObject({ batchesCreated: 1, resultDownloads: 1 });
    expect(log.statuses()).toEqual(["in_progress", "ended"]);
    expect(log.events.at(-1)).toMatchObject({ type: "ended", done: 5, total: 5, failed: 0 });
    const r = server.batches[0].requests[0];
    expect(r.customId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.params).toMatchObject({
      model: "claude-3-5-haiku-latest",
      max_tokens: 1024,
      system: "One word.",
      stop_sequences: ["\n"],
      temperature: 0,
    });
    for (const [i, c] of out.entries()) {
      const full = estimateCost(MODEL, {
        inputTokens: estimateTokens(prompt(words[i])),
        outputTokens: estimateTokens(c.text),
      }).costUsd;
      expect(c.costUsd).toBeCloseTo(full * 0.4, 15);
    }
  });

  it("errored (api_error) and expired requests go into a follow-up; invalid_request_error rejects at once", async () => {
    server = await startFakeBatchAnthropic({
      fail: (r) =>
        r.batchNo > 1
          ? undefined
          : word(r.prompt) === "fast"
            ? { type: "errored", errorType: "api_error", message: "Internal server error" }
            : word(r.prompt) === "up"
              ? { type: "expired" }
              : word(r.prompt) === "big"
                ? { type: "errored", errorType: "invalid_request_error", message: "prompt is too long" }
                : undefined,
    });
    const bb = box(server);
    const r = await Promise.allSettled(WORDS.slice(0, 5).map((w) => bb.complete({ prompt: prompt(w) })));
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
    const err = (r[1] as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(BatchRequestError);
    expect(err.message).toMatch(/invalid_request_error: prompt is too long/);
    expect(server.batches.map((b) => b.requests.map((x) => word(x.prompt)).sort())).toEqual([
      ["big", "fast", "happy", "hot", "up"],
      ["fast", "up"],
    ]);
  });

  it("a batch whose second half expired: the expired requests are retried", async () => {
    server = await startFakeBatchAnthropic({ expireHalf: (n) => n === 1 });
    const bb = box(server);
    const out = await Promise.all(WORDS.slice(0, 4).map((w) => bb.complete({ prompt: prompt(w) })));
    expect(out.map((c) => c.text)).toEqual(["cold", "small", "slow", "sad"]);
    expect(server.batches.map((b) => [b.counts.succeeded, b.counts.expired])).toEqual([
      [2, 2],
      [2, 0],
    ]);
  });

  it("cancel(): canceling -> ended; canceled requests reject with BatchCancelledError", async () => {
    server = await startFakeBatchAnthropic({ pollsToEnd: 1000 });
    const bb = box(server, { batchPollMs: 5 });
    const calls = WORDS.slice(0, 4).map((w) => bb.complete({ prompt: prompt(w) }));
    while (bb.activeBatches()[0]?.batchId === undefined) await new Promise((r) => setTimeout(r, 2));
    expect(await bb.cancel()).toEqual(["msgbatch_0001"]);
    const r = await Promise.allSettled(calls);
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    expect((r[3] as PromiseRejectedResult).reason).toBeInstanceOf(BatchCancelledError);
    expect(server.batches[0].counts).toMatchObject({ succeeded: 2, canceled: 2 });
    expect(server.stats().batchesCreated).toBe(1);
  });

  it("a missing key is an AuthenticationError before any request", () => {
    expect(() => createBatchBlackBox(MODEL, { env: {}, cache: false })).toThrow(/ANTHROPIC_API_KEY/);
  });
});
