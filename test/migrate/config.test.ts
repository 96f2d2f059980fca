/**
 * migrationConfig on constructed old runs: the old top candidates (the winner, then the rest of the old
 * selection's top k by selection score; the validation rule: the top k distinct by validation score),
 * the warm start (those with a soft prompt first, then the best others, distinct), its own budget line,
 * the candidates outside the warm start as extra candidates, and a run without soft prompts (ape).
 */
import { describe, expect, it } from "vitest";
import type { RunConfig } from "../../src/config/schema.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { migrationConfig } from "../../src/session/migrate.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord, RunResult } from "../../src/store/types.js";

const zeroTotals = {
  evaluations: 0,
  calls: 0,
  cacheHits: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
};

function record(index: number, instruction: string, score: number, z: number[] | null): EvaluationRecord {
  return {
    index,
    iteration: 0,
    z,
    instruction,
    score,
    scores: [score],
    outputs: [""],
    reused: false,
    calls: 1,
    cacheHits: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    generationMs: 0,
    evaluationMs: 0,
  };
}

/** An old run of `records` (scores by index), completed with `result`. */
function oldRun(config: RunConfig, records: EvaluationRecord[], result: Partial<RunResult>) {
  const ledger = openLedger(":memory:");
  const id = ledger.createRun(config);
  for (const r of records) ledger.appendEvaluation(id, r);
  ledger.finishRun(id, { bestIndex: 0, test: null, totals: zeroTotals, ...result } as RunResult);
  return { ledger, old: ledger.getRun(id) };
}

const base = (options: Record<string, unknown> = {}) =>
  makeRunConfig({
    task: "antonyms",
    target: "openai:gpt-4o-mini",
    budget: 8,
    initialPoints: 4,
    batchSize: 4,
    intrinsicDim: 2,
    selectionTopK: 3,
    ...options,
  });

describe("migrationConfig", () => {
  const z = (i: number) => [i / 10, -i / 10];
  // instructions: a (0.9), b (0.8), c (0.7, twice), d (0.6), e (0.5), f (0.4), g (0.3), h (0.2)
  const records = [
    record(0, "a", 0.9, z(0)),
    record(1, "b", 0.8, z(1)),
    record(2, "c", 0.7, z(2)),
    record(3, "c", 0.7, z(3)),
    record(4, "d", 0.6, z(4)),
    record(5, "e", 0.5, z(5)),
    record(6, "f", 0.4, z(6)),
    record(7, "g", 0.3, z(7)),
  ];

  it("fresh selection: the winner first, then the old selection's top k by selection score; warm start and budget line", () => {
    // the selection chose d (#4) over a, b (re-scored on the selection split)
    const selection = {
      rule: "fresh" as const,
      size: 10,
      winner: 4,
      candidates: [
        { index: 0, instruction: "a", validationScore: 0.9, score: 0.5, scores: [] },
        { index: 1, instruction: "b", validationScore: 0.8, score: 0.6, scores: [] },
        { index: 4, instruction: "d", validationScore: 0.6, score: 0.7, scores: [] },
      ],
    };
    const { ledger, old } = oldRun(base(), records, { bestIndex: 4, selection });
    const config = migrationConfig(ledger, old, "openai:gpt-4.1-mini", { warm: 4 });
    expect(config.target).toBe("openai:gpt-4.1-mini");
    expect(config.migratedFrom).toBe(old.id);
    expect(config.oldCandidates).toEqual([
      { instruction: "d", index: 4, score: 0.7 },
      { instruction: "b", index: 1, score: 0.6 },
      { instruction: "a", index: 0, score: 0.5 },
    ]);
    // the old candidates first, then the best others (distinct: c once, its first record)
    expect(config.warmStart!.map((w) => w.instruction)).toEqual(["d", "b", "a", "c"]);
    expect(config.warmStart![3].z).toEqual(z(2));
    // raced by default
    expect(config.warmRacing).toBe(true);
    expect(migrationConfig(ledger, old, "openai:x", { warmRacing: false }).warmRacing).toBeUndefined();
    // the warm start on top of the search's budget (the old run's 8)
    expect(config.budget).toBe(12);
    expect(migrationConfig(ledger, old, "openai:x", { warm: 4, budget: 20 }).budget).toBe(24);
    // the old winner is a baseline; every old candidate is in the warm start: no extra candidates
    expect(config.baselines).toEqual(["d"]);
    expect(config.initInstructions).toEqual([]);
    // a smaller warm start than the old candidates: the rest are extra candidates
    const small = migrationConfig(ledger, old, "openai:x", { warm: 2 });
    expect(small.warmStart!.map((w) => w.instruction)).toEqual(["d", "b"]);
    expect(small.initInstructions).toEqual(["a"]);
    expect(small.budget).toBe(10);
    // migrating the migration: its search budget, not its warm start, is the default
    const id = ledger.createRun(config);
    for (const r of records) ledger.appendEvaluation(id, r);
    ledger.finishRun(id, { bestIndex: 0, test: null, totals: zeroTotals } as RunResult);
    expect(migrationConfig(ledger, ledger.getRun(id), "openai:y", { warm: 4 }).budget).toBe(12);
    ledger.close();
  });

  it("validation rule: the top k distinct by validation score; ape: extra candidates, no warm start", () => {
    const v = oldRun(base({ selection: "validation" }), records, { bestIndex: 0 });
    const config = migrationConfig(v.ledger, v.old, "openai:gpt-4.1-mini", { warm: 5 });
    expect(config.oldCandidates!.map((c) => [c.instruction, c.score])).toEqual([
      ["a", 0.9],
      ["b", 0.8],
      ["c", 0.7],
    ]);
    expect(config.warmStart!.map((w) => w.instruction)).toEqual(["a", "b", "c", "d", "e"]);
    v.ledger.close();

    const noZ = records.map((r) => ({ ...r, z: null }));
    const ape = oldRun(base({ method: "ape", selection: "validation" }), noZ, { bestIndex: 1 });
    const a = migrationConfig(ape.ledger, ape.old, "openai:gpt-4.1-mini");
    expect(a.warmStart).toBeUndefined();
    expect(a.warmRacing).toBeUndefined();
    expect(a.oldCandidates!.map((c) => c.instruction)).toEqual(["b", "a", "c"]);
    expect(a.initInstructions).toEqual(["b", "a", "c"]);
    expect(a.budget).toBe(8);
    ape.ledger.close();
  });

  it("refuses a run that is not finished and a target that is not provider:model", () => {
    const { ledger, old } = oldRun(base(), records, { bestIndex: 0 });
    expect(() => migrationConfig(ledger, old, "gpt-4.1-mini")).toThrow(/provider:model/);
    ledger.setStatus(old.id, "interrupted");
    expect(() => migrationConfig(ledger, ledger.getRun(old.id), "openai:x")).toThrow(/not finished/);
    ledger.close();
  });
});
