/** Synthetic runs for ledger and report tests (no optimiser needed). */

import { RunConfigSchema } from "../../src/config/schema.js";
import type { Ledger } from "../../src/store/ledger.js";
import type { EvaluationRecord, RunConfig } from "../../src/store/types.js";
import { Rng } from "../../src/util/rng.js";

/** A valid paper-default config for `task` (defaults of the schema filled in; overrides unchecked). */
export function makeConfig(overrides: Partial<RunConfig> & Record<string, unknown> = {}): RunConfig {
  return {
    ...RunConfigSchema.parse({ task: "antonyms" }),
    task: "antonyms",
    target: "local:qwen2.5-0.5b-instruct",
    generator: "smol135",
    method: "instructzero",
    budget: 150,
    seed: 0,
    nTokens: 5,
    intrinsicDim: 10,
    batchMode: "reference",
    initialPoints: 25,
    batchSize: 25,
    validationSize: 4,
    ...overrides,
  };
}

/** A deterministic record for `index` (4 validation examples). */
export function makeRecord(index: number, overrides: Partial<EvaluationRecord> = {}): EvaluationRecord {
  const rng = new Rng(index + 1);
  const scores: number[] = [0, 1, 2, 3].map(() => (rng.uniform() < 0.5 ? 0 : 1));
  return {
    index,
    iteration: index < 5 ? 0 : 1 + Math.floor((index - 5) / 5),
    z: Array.from({ length: 10 }, () => rng.uniform() * 2 - 1),
    instruction: `Write the antonym of the word (variant ${index % 7}).`,
    score: scores.reduce((a, b) => a + b, 0) / scores.length,
    scores,
    outputs: scores.map((s, i) => (s ? `answer ${i}` : `wrong ${i}`)),
    reused: index >= 7 && index % 7 === index % 14,
    calls: 4,
    cacheHits: 0,
    inputTokens: 120,
    outputTokens: 12,
    costUsd: 0.0001,
    generationMs: 30,
    evaluationMs: 400,
    ...overrides,
  };
}

/** Create a run holding `n` synthetic evaluations; returns its id. */
export function fillRun(ledger: Ledger, n: number, config: Partial<RunConfig> = {}): string {
  const id = ledger.createRun(makeConfig(config));
  for (let i = 0; i < n; i++) ledger.appendEvaluation(id, makeRecord(i));
  return id;
}
