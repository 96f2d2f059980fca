/**
 * kill -9 at any moment, then resume: simulated in-process by a store that "kills" the black box at a
 * chosen write (before or after it is recorded) and a second black box on the same store and cache that
 * issues the same requests. It must follow the recorded batch (poll it, or create it from the recorded
 * file), never submit the same requests twice, never lose a finished batch. Also through the run ledger
 * (the file reopened, as by a new process).
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BatchBlackBox,
  type BatchBlackBoxOptions,
  createBatchBlackBox,
} from "../../src/blackbox/batch/batch-black-box.js";
import { memoryBatchStore } from "../../src/blackbox/batch/memory-store.js";
import type { BatchStore } from "../../src/blackbox/batch/types.js";
import type { Completion } from "../../src/blackbox/types.js";
import { openLedger } from "../../src/store/ledger.js";
import { type FakeBatchAnthropic, startFakeBatchAnthropic } from "../helpers/fake-batch-anthropic.js";
import { type FakeBatchOpenAI, startFakeBatchOpenAI } from "../helpers/fake-batch-openai.js";
import { Killed, killingStore, prompt, tempDir, WORDS } from "./helpers.js";

let openai: FakeBatchOpenAI | undefined;
let anthropic: FakeBatchAnthropic | undefined;
const boxes: BatchBlackBox[] = [];
afterEach(async () => {
  for (const b of boxes.splice(0)) await b.close();
  await openai?.close();
  await anthropic?.close();
  openai = anthropic = undefined;
});

const words = WORDS.slice(0, 6);
const answers = ["cold", "small", "slow", "sad", "down", "dark"];

function openaiBox(s: FakeBatchOpenAI, store: BatchStore, cachePath: string, o: BatchBlackBoxOptions = {}) {
  const bb = createBatchBlackBox("openai:gpt-4o-mini", {
    baseURL: s.url,
    apiKey: "sk-test",
    env: {},
    cachePath,
    store,
    batchPollMs: 1,
    idleMs: 5,
    sleep: async () => {},
    ...o,
  });
  boxes.push(bb);
  return bb;
}

/** Issue the step's requests; the first session's calls reject when it is "killed". */
function step(bb: BatchBlackBox, sends?: string[]): Promise<Completion>[] {
  return words.map((w) => bb.complete({ prompt: prompt(w) }, { onSend: () => sends?.push(w) }));
}

/** Every custom id submitted, across all batches: none twice. */
function submittedOnce(s: FakeBatchOpenAI): void {
  const ids = s.lines().map((l) => l.customId);
  expect(new Set(ids).size).toBe(ids.length);
}

describe("resume after kill -9 (OpenAI)", () => {
  it.each([
    [
      "while polling (in_progress recorded)",
      (j: { status: string }) => (j.status === "in_progress" ? "after" : undefined),
    ],
    [
      "before the finalizing status was recorded",
      (j: { status: string }) => (j.status === "finalizing" ? "before" : undefined),
    ],
    [
      "with the batch completed but not collected",
      (j: { status: string }) => (j.status === "completed" ? "after" : undefined),
    ],
    [
      "with the answers cached but the batch not marked collected",
      (j: { status: string }) => (j.status === "collected" ? "before" : undefined),
    ],
  ] as const)("%s: the resumed session polls the recorded batch, submits nothing", async (_name, when) => {
    openai = await startFakeBatchOpenAI();
    const store = memoryBatchStore();
    const cachePath = join(tempDir(), "cache.sqlite");
    const killer = killingStore(store, when);
    const first = openaiBox(openai, killer, cachePath);
    const sends1: string[] = [];
    const r1 = await Promise.allSettled(step(first, sends1));
    expect(killer.killed()).toBe(true);
    expect(r1.every((r) => r.status === "rejected" && r.reason instanceof Killed)).toBe(true);
    expect(sends1).toHaveLength(6); // the first session logged them as sent
    await first.close();

    const second = openaiBox(openai, store, cachePath);
    const sends2: string[] = [];
    const out = await Promise.all(step(second, sends2));
    expect(out.map((c) => c.text)).toEqual(answers);
    // answered by the first session's batch: counted there (lost in flight), not again here
    expect(out.every((c) => c.cached && c.costUsd === 0)).toBe(true);
    expect(sends2).toEqual([]);
    expect(openai.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
    // (answers all cached: the batch is never needed again; marked collected once a step looks it up)
    expect(["collected", "completed"]).toContain(store.records()[0].status);
    submittedOnce(openai);
  });

  it("killed after the upload was recorded, before the batch was created: the batch is created from that file", async () => {
    openai = await startFakeBatchOpenAI();
    const store = memoryBatchStore();
    const cachePath = join(tempDir(), "cache.sqlite");
    const killer = killingStore(store, (j) => (j.status === "uploaded" ? "after" : undefined));
    const first = openaiBox(openai, killer, cachePath);
    await Promise.allSettled(step(first));
    await first.close();
    expect(openai.stats()).toMatchObject({ uploads: 1, batchesCreated: 0 });
    expect(store.records()[0]).toMatchObject({ fileId: "file-1", batchId: null, status: "uploaded" });

    const second = openaiBox(openai, store, cachePath);
    const out = await Promise.all(step(second));
    expect(out.map((c) => c.text)).toEqual(answers);
    expect(openai.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
    expect(openai.batches[0].inputFileId).toBe("file-1");
  });

  it("killed after the batch was created, before its id was recorded: found by its file, not created again", async () => {
    openai = await startFakeBatchOpenAI();
    const store = memoryBatchStore();
    const cachePath = join(tempDir(), "cache.sqlite");
    const killer = killingStore(store, (j) => (j.batchId ? "before" : undefined));
    const first = openaiBox(openai, killer, cachePath);
    await Promise.allSettled(step(first));
    await first.close();
    expect(openai.stats().batchesCreated).toBe(1);
    expect(store.records()[0]).toMatchObject({ fileId: "file-1", batchId: null });

    const second = openaiBox(openai, store, cachePath);
    const out = await Promise.all(step(second));
    expect(out.map((c) => c.text)).toEqual(answers);
    expect(openai.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
    expect(openai.stats().lists).toBeGreaterThan(0);
    expect(store.records()[0]).toMatchObject({ batchId: "batch_1", status: "collected" });
  });

  it("the resumed session groups the requests differently (two flushes): both attach to the recorded batch", async () => {
    openai = await startFakeBatchOpenAI();
    const store = memoryBatchStore();
    const cachePath = join(tempDir(), "cache.sqlite");
    const first = openaiBox(
      openai,
      killingStore(store, (j) => (j.status === "validating" ? "after" : undefined)),
      cachePath,
    );
    await Promise.allSettled(step(first));
    await first.close();
    const second = openaiBox(openai, store, cachePath);
    const a = await Promise.all(words.slice(0, 3).map((w) => second.complete({ prompt: prompt(w) })));
    const b = await Promise.all(words.slice(3).map((w) => second.complete({ prompt: prompt(w) })));
    expect([...a, ...b].map((c) => c.text)).toEqual(answers);
    expect(openai.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
  });

  it("a follow-up batch in flight at the kill is resumed as well (its attempt counts)", async () => {
    openai = await startFakeBatchOpenAI({
      fail: (l) =>
        l.batchNo === 1 && l.prompt.includes("Input: fast") ? { status: 500, message: "oops" } : undefined,
    });
    const store = memoryBatchStore();
    const cachePath = join(tempDir(), "cache.sqlite");
    const first = openaiBox(
      openai,
      killingStore(store, (j) => (j.attempt === 1 && j.status === "in_progress" ? "after" : undefined)),
      cachePath,
    );
    const r1 = await Promise.allSettled(step(first));
    expect(r1.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    await first.close();
    const second = openaiBox(openai, store, cachePath);
    const out = await Promise.all(step(second));
    expect(out.map((c) => c.text)).toEqual(answers);
    expect(openai.stats().batchesCreated).toBe(2);
    expect(store.records().map((r) => [r.attempt, r.status])).toEqual([
      [0, "collected"],
      [1, "collected"],
    ]);
  });

  it("through the run ledger: the batch is recorded per run and the resumed process (ledger reopened) polls it", async () => {
    openai = await startFakeBatchOpenAI({
      script: () => ["validating", "in_progress", "in_progress", "finalizing", "completed"],
    });
    const dir = tempDir();
    const ledgerPath = join(dir, "runs.sqlite");
    const cachePath = join(dir, "cache.sqlite");
    let ledger = openLedger(ledgerPath);
    const runId = ledger.createRun({ task: "antonyms", target: "openai:gpt-4o-mini" } as never);
    const first = openaiBox(
      openai,
      killingStore(ledger.batchStore(runId), (j) => (j.status === "in_progress" ? "after" : undefined)),
      cachePath,
    );
    await Promise.allSettled(step(first));
    await first.close();
    ledger.close();

    ledger = openLedger(ledgerPath);
    try {
      expect(ledger.batchJobs(runId, { open: true })).toEqual([
        expect.objectContaining({
          provider: "openai",
          model: "gpt-4o-mini",
          fileId: "file-1",
          batchId: "batch_1",
          status: "in_progress",
        }),
      ]);
      const second = openaiBox(openai, ledger.batchStore(runId), cachePath);
      const out = await Promise.all(step(second));
      expect(out.map((c) => c.text)).toEqual(answers);
      expect(openai.stats()).toMatchObject({ uploads: 1, batchesCreated: 1 });
      expect(ledger.batchJobs(runId)).toEqual([expect.objectContaining({ status: "collected", attempt: 0 })]);
      expect(ledger.batchJobs(runId, { open: true })).toEqual([]);
    } finally {
      ledger.close();
    }
  });
});

describe("resume after kill -9 (Anthropic)", () => {
  it("killed while polling: the resumed session polls the recorded batch and reads its results", async () => {
    anthropic = await startFakeBatchAnthropic({ pollsToEnd: 3 });
    const store = memoryBatchStore();
    const cachePath = join(tempDir(), "cache.sqlite");
    const mk = (st: BatchStore) => {
      const bb = createBatchBlackBox("anthropic:claude-3-5-haiku-latest", {
        baseURL: anthropic!.origin,
        apiKey: "sk-ant-test",
        env: {},
        cachePath,
        store: st,
        batchPollMs: 1,
        idleMs: 5,
      });
      boxes.push(bb);
      return bb;
    };
    let polls = 0;
    const first = mk(killingStore(store, (j) => (j.batchId && ++polls >= 1 ? "after" : undefined)));
    await Promise.allSettled(step(first));
    await first.close();
    expect(store.records()[0]).toMatchObject({ batchId: "msgbatch_0001", status: "in_progress" });
    const second = mk(store);
    const out = await Promise.all(step(second));
    expect(out.map((c) => c.text)).toEqual(answers);
    expect(anthropic.stats().batchesCreated).toBe(1);
    expect(store.records()[0].status).toBe("collected");
  });
});
