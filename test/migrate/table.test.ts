/**
 * The migration table on constructed runs: each row's selection score with the number of selection
 * examples it is over (`selectionN`; `(n)` in the text and the report's Migration section when fewer
 * than the table's most: the adaptive selection race dropped that candidate early); a run a limit
 * stopped (or a crash interrupted) says it is not finished, why and how to go on, with the rows scored so
 * far; and the run of the same migration with other limits is found (findMigrationRun).
 */
import { describe, expect, it } from "vitest";
import { formatTable } from "../../src/cli/commands/migrate.js";
import type { RunConfig } from "../../src/config/schema.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { exportRun } from "../../src/report/export.js";
import { oldCandidatesSection } from "../../src/report/old-candidates-html.js";
import { findMigrationRun, migrationConfig, migrationTable } from "../../src/session/migrate.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord, RunResult } from "../../src/store/types.js";

const ones = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function totals(calls: number, costUsd: number) {
  return { evaluations: 0, calls, cacheHits: 0, inputTokens: 0, outputTokens: 0, costUsd };
}

function record(index: number, instruction: string, score: number): EvaluationRecord {
  return {
    index,
    iteration: 0,
    z: [index / 10, -index / 10],
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
    usdPer1k: 0.01 + index / 1000,
  };
}

const selectionCandidate = (
  index: number,
  instruction: string,
  validationScore: number,
  scores: number[],
) => ({
  index,
  instruction,
  validationScore,
  score: mean(scores),
  scores,
});

const test = (scores: number[]) => ({ score: mean(scores), scores, low: mean(scores) - 0.1, high: 1 });

/** A run's own test result (its outputs too). */
const runTest = (scores: number[]) => ({ ...test(scores), outputs: scores.map(() => "") });

const config = (options: Record<string, unknown> = {}): RunConfig =>
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

/**
 * An old run (winner "a", then "b", "c" in its selection, every one over 48 selection examples) and its
 * migration, whose selection race dropped the old candidate "c" after its first 10 examples; the new
 * run's result as `result` sets it (null: none recorded yet).
 */
function migration(status: "completed" | "stopped" | "interrupted", result: "full" | "partial" | null) {
  const ledger = openLedger(":memory:");
  const oldId = ledger.createRun(config());
  for (const r of [record(0, "a", 0.9), record(1, "b", 0.8), record(2, "c", 0.7)])
    ledger.appendEvaluation(oldId, r);
  ledger.finishRun(oldId, {
    bestIndex: 0,
    test: runTest(ones(20, 16)),
    totals: totals(100, 0.1),
    selection: {
      rule: "fresh",
      size: 50,
      winner: 0,
      candidates: [
        selectionCandidate(0, "a", 0.9, ones(48, 40)),
        selectionCandidate(1, "b", 0.8, ones(48, 36)),
        selectionCandidate(2, "c", 0.7, ones(48, 30)),
      ],
    },
  } as RunResult);
  const old = ledger.getRun(oldId);
  const newConfig = migrationConfig(ledger, old, "openai:gpt-4.1-mini", { maxCalls: 500 });
  const newId = ledger.createRun(newConfig);
  // the warm start (a, b, c), then the search's own, "n" the best
  for (const r of [record(0, "a", 0.6), record(1, "b", 0.7), record(2, "c", 0.3), record(3, "n", 0.8)])
    ledger.appendEvaluation(newId, r);
  if (result) {
    const oldCandidate = (
      i: number,
      name: string,
      instruction: string,
      sel: number[],
      t: number[] | null,
    ) => ({
      name,
      instruction,
      oldIndex: i,
      oldScore: 0.9 - i / 10,
      index: i,
      validation: [0.6, 0.7, 0.3][i],
      selection: mean(sel),
      test: t ? test(t) : null,
      usdPer1k: 0.01 + i / 1000,
    });
    ledger.finishRun(newId, {
      bestIndex: 3,
      test: runTest(ones(20, 18)),
      totals: totals(321, 0.25),
      selection: {
        rule: "fresh",
        size: 50,
        winner: 3,
        candidates: [
          selectionCandidate(3, "n", 0.8, ones(48, 44)),
          selectionCandidate(1, "b", 0.7, ones(48, 33)),
          selectionCandidate(0, "a", 0.6, ones(48, 30)),
          // dropped by the race after its first look
          selectionCandidate(2, "c", 0.3, ones(10, 2)),
        ],
      },
      baselines: [
        {
          name: "baseline 1",
          kind: "user",
          instruction: "a",
          validation: { score: 0.6, scores: [0.6] },
          test: test(ones(20, 12)),
          usdPer1k: 0.01,
        },
      ],
      comparisons: [],
      oldCandidates: [
        oldCandidate(0, "old prompt", "a", ones(48, 30), ones(20, 12)),
        oldCandidate(1, "old candidate 2", "b", ones(48, 33), ones(20, 14)),
        // partial: a limit stopped the run before "c" was scored on test
        oldCandidate(2, "old candidate 3", "c", ones(10, 2), result === "full" ? ones(20, 5) : null),
      ],
    } as unknown as RunResult);
  }
  if (status !== "completed")
    ledger.setStatus(
      newId,
      status,
      status === "stopped" ? "max calls 500 reached; stopped in the old candidates phase" : undefined,
    );
  return { ledger, old, newId, newConfig };
}

describe("migration table: selection examples per row", () => {
  it("gives each row the number of selection examples its score is over; the text and the report mark the fewer", () => {
    const { ledger, old, newId } = migration("completed", "full");
    const t = migrationTable(ledger, old, newId);
    expect(t.rows.map((r) => [r.label, r.selection, r.selectionN])).toEqual([
      ["old model, old prompt", 40 / 48, 48],
      ["new model, old prompt", 30 / 48, 48],
      ["new model, old candidate 2", 33 / 48, 48],
      ["new model, old candidate 3", 0.2, 10],
      ["new model, migrated prompt", 44 / 48, 48],
    ]);
    expect(t.finished).toBe(true);
    expect(t.reason).toBeUndefined();
    expect([t.calls, t.costUsd]).toEqual([321, 0.25]);
    const text = formatTable(t);
    const line = (label: string) => text.split("\n").find((l) => l.includes(`| ${label}: `))!;
    expect(line("old candidate 3")).toContain("| 0.200 (10) |");
    for (const label of ["old prompt", "old candidate 2", "migrated prompt"])
      expect(line(label)).not.toMatch(/\(\d+\) \|/);
    expect(line("old candidate 2")).toContain(`| ${(33 / 48).toFixed(3)} |`);
    expect(text).toMatch(
      /^selection: a score with \(n\) is the mean over its first n selection examples .* over 48$/m,
    );
    expect(text).toMatch(/^spent: 321 calls, \$0\.2500 \(the new run, all sessions\)$/m);
    // the report's Migration section
    const html = oldCandidatesSection(exportRun(ledger, newId));
    const rows = html.split("<tr").slice(1);
    const row = (name: string) => rows.find((r) => r.includes(`>${name}<`))!;
    expect(row("old candidate 3")).toContain(
      '0.200 <span class="sel-n" title="over its first 10 selection examples">(10)</span>',
    );
    expect(row("old candidate 2")).not.toContain("sel-n");
    expect(row("migrated prompt (chosen)")).not.toContain("sel-n");
    expect(html).toContain("the others are over 48.");
    ledger.close();
  });

  it("says nothing of n when every row is over the same examples; null without a selection score", () => {
    const { ledger, old, newId } = migration("completed", "full");
    const run = ledger.getRun(newId);
    const result = run.result!;
    const selection = result.selection!;
    selection.candidates[3] = selectionCandidate(2, "c", 0.3, ones(48, 10));
    ledger.finishRun(newId, { ...result, selection });
    const t = migrationTable(ledger, old, newId);
    expect(t.rows.map((r) => r.selectionN)).toEqual([48, 48, 48, 48, 48]);
    const text = formatTable(t);
    expect(text).not.toMatch(/\(\d+\) \|/);
    expect(text).not.toMatch(/^selection:/m);
    expect(oldCandidatesSection(exportRun(ledger, newId))).not.toContain("sel-n");
    // the validation rule: no selection scores
    ledger.finishRun(newId, {
      ...result,
      selection: { rule: "validation", size: 0, candidates: [], winner: 3 },
    });
    const v = migrationTable(ledger, old, newId);
    expect(v.rows.slice(1).map((r) => [r.selection, r.selectionN])).toEqual(
      Array.from({ length: 4 }, () => [null, null]),
    );
    ledger.close();
  });
});

describe("migration table of a run not finished", () => {
  it("a limit stopped it: the rows scored so far, why, how to continue, and the verdict so far", () => {
    const { ledger, old, newId } = migration("stopped", "partial");
    const t = migrationTable(ledger, old, newId);
    expect(t.status).toBe("stopped");
    expect(t.finished).toBe(false);
    expect(t.reason).toBe("max calls 500 reached; stopped in the old candidates phase");
    expect(t.rows.map((r) => r.score)).toEqual([0.8, 0.6, 0.7, null, 0.9]);
    expect(t.verdict).toMatch(
      new RegExp(
        `^not finished \\(stopped\\): run the same migration again with a higher --max-calls / --max-cost \\(or none\\), or instructzero resume ${newId} --max-calls N; the verdict so far: `,
      ),
    );
    const text = formatTable(t);
    expect(text.split("\n")[0]).toBe(
      `migration to openai:gpt-4.1-mini: run ${newId} (stopped: max calls 500 reached; stopped in the old candidates phase)`,
    );
    expect(text).toMatch(/\| old candidate 3: "c" \| 0\.200 \(10\) \| - \(- to -\) \|/);
    expect(text).toMatch(/^verdict: not finished \(stopped\)/m);
    ledger.close();
  });

  it("interrupted before any result: empty rows and how to continue", () => {
    const { ledger, old, newId } = migration("interrupted", null);
    const t = migrationTable(ledger, old, newId);
    expect(t.finished).toBe(false);
    expect(t.reason).toBeUndefined();
    expect(t.rows.map((r) => r.label)).toEqual([
      "old model, old prompt",
      "new model, old prompt",
      "new model, migrated prompt",
    ]);
    expect(t.rows.slice(1).map((r) => [r.selection, r.score])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(t.verdict).toBe(
      `not finished (interrupted): run the same migration again, or instructzero resume ${newId}`,
    );
    ledger.close();
  });
});

describe("findMigrationRun", () => {
  it("finds the run of the same migration whatever its limits, the exact one first", () => {
    const { ledger, newId, newConfig } = migration("stopped", "partial");
    const strip = (c: RunConfig) => {
      const { maxCalls: _c, maxCost: _x, ...rest } = c;
      return rest as RunConfig;
    };
    expect(findMigrationRun(ledger, newConfig)).toBe(newId);
    expect(findMigrationRun(ledger, { ...newConfig, maxCalls: 900 })).toBe(newId);
    expect(findMigrationRun(ledger, strip(newConfig))).toBe(newId);
    expect(findMigrationRun(ledger, { ...newConfig, maxCost: 2 })).toBe(newId);
    // another migration: another budget, another target
    expect(findMigrationRun(ledger, { ...newConfig, budget: newConfig.budget + 1 })).toBeUndefined();
    expect(findMigrationRun(ledger, { ...newConfig, target: "openai:gpt-5" })).toBeUndefined();
    // the exact configuration's own run first
    const other = ledger.createRun({ ...newConfig, maxCalls: 900 });
    expect(findMigrationRun(ledger, { ...newConfig, maxCalls: 900 })).toBe(other);
    expect(findMigrationRun(ledger, { ...newConfig, maxCalls: 1000 })).toBe(newId);
    ledger.close();
  });
});
