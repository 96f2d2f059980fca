/**
 * Where batches are recorded: the run ledger's batch_jobs table (per run, upsert keeping created_at,
 * open = not collected), a store for a run created after its black box (found by the run lock this
 * process holds), the in-memory store; the budget's worst case at the batch price factor; the batch key.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryBatchStore } from "../../src/blackbox/batch/memory-store.js";
import { jobKey } from "../../src/blackbox/batch/request.js";
import type { BatchJobRecord } from "../../src/blackbox/batch/types.js";
import type { BlackBox } from "../../src/blackbox/types.js";
import { BudgetedBlackBox, worstCaseCost } from "../../src/optimizers/budget.js";
import { openLedger } from "../../src/store/ledger.js";
import { tempDir } from "./helpers.js";

const job = (over: Partial<BatchJobRecord> = {}): BatchJobRecord => ({
  key: "k1",
  provider: "openai",
  model: "gpt-4o-mini",
  fileId: "file-1",
  batchId: null,
  status: "uploaded",
  attempt: 0,
  customIds: ["a", "b"],
  ...over,
});

describe("batch_jobs in the run ledger", () => {
  it("records a run's batches: upsert keeps created_at, open lists the uncollected, runs are separate", () => {
    let t = Date.parse("2025-01-01T00:00:00Z");
    const ledger = openLedger(join(tempDir(), "runs.sqlite"), {
      now: () => {
        t += 1000;
        return new Date(t);
      },
    });
    try {
      const r1 = ledger.createRun({ task: "antonyms", target: "openai:gpt-4o-mini" } as never);
      const r2 = ledger.createRun({ task: "antonyms", target: "openai:gpt-4o-mini" } as never);
      const s1 = ledger.batchStore(r1);
      s1.put(job());
      const created = s1.get("k1")!.createdAt;
      s1.put(job({ batchId: "batch_1", status: "in_progress" }));
      s1.put(job({ key: "k2", batchId: "batch_2", status: "collected", attempt: 1 }));
      expect(s1.get("k1")).toMatchObject({
        batchId: "batch_1",
        status: "in_progress",
        customIds: ["a", "b"],
        createdAt: created,
      });
      expect(s1.get("k1")!.updatedAt! > created!).toBe(true);
      expect(s1.open().map((j) => j.key)).toEqual(["k1"]);
      expect(ledger.batchJobs(r1).map((j) => [j.key, j.attempt])).toEqual([
        ["k1", 0],
        ["k2", 1],
      ]);
      expect(ledger.batchStore(r2).get("k1")).toBeUndefined();
      expect(ledger.batchJobs(r2)).toEqual([]);
    } finally {
      ledger.close();
    }
  });

  it("a store made before its run exists finds the run by the lock this process takes", () => {
    const ledger = openLedger(join(tempDir(), "runs.sqlite"));
    try {
      const old = ledger.createRun({ task: "t", target: "openai:gpt-4o-mini" } as never);
      ledger.acquireRunLock(old).release();
      const store = ledger.batchStore(); // as setup.ts does for a new run
      expect(() => store.open()).toThrow(/no run of this process holds its lock/);
      const runId = ledger.createRun({ task: "t", target: "openai:gpt-4o-mini" } as never);
      const lock = ledger.acquireRunLock(runId);
      store.put(job());
      lock.release();
      expect(ledger.batchJobs(runId)).toHaveLength(1);
      expect(ledger.batchJobs(old)).toHaveLength(0);
      expect(store.get("k1")).toBeDefined(); // resolved once, kept
    } finally {
      ledger.close();
    }
  });

  it("the in-memory store copies records in and out", () => {
    const s = memoryBatchStore();
    const j = job();
    s.put(j);
    j.customIds.push("c");
    expect(s.get("k1")!.customIds).toEqual(["a", "b"]);
    s.put(job({ status: "collected" }));
    expect(s.open()).toEqual([]);
  });

  it("the batch key: sorted custom ids; a follow-up attempt is another key", () => {
    expect(jobKey(["b", "a"], 0)).toBe(jobKey(["a", "b"], 0));
    expect(jobKey(["a", "b"], 1)).not.toBe(jobKey(["a", "b"], 0));
    expect(jobKey(["a"], 0)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("budget worst case at the batch price", () => {
  const inner = (priceFactor?: number): BlackBox =>
    ({
      id: "openai:gpt-4o-mini",
      ...(priceFactor === undefined ? {} : { priceFactor }),
      complete: async () => ({
        text: "",
        usage: { inputTokens: 0, outputTokens: 0 },
        costUsd: 0,
        cached: false,
      }),
      totals: () => ({
        completions: 0,
        requests: 0,
        cacheHits: 0,
        retries: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      }),
      close: async () => {},
    }) as BlackBox;
  const req = { prompt: "x".repeat(100), maxTokens: 10 };
  const full = worstCaseCost("openai:gpt-4o-mini", req)!;

  it("takes the inner black box's priceFactor (a batch black box), or the option, else 1", () => {
    expect(new BudgetedBlackBox(inner(), {}).worstCase(req)).toBe(full);
    expect(new BudgetedBlackBox(inner(0.5), {}).worstCase(req)).toBeCloseTo(full * 0.5, 15);
    expect(
      new BudgetedBlackBox(inner(0.5), {}, { source: "target", priceFactor: 0.25 }).worstCase(req),
    ).toBeCloseTo(full * 0.25, 15);
  });
});
