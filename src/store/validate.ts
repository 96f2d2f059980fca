/**
 * Shape checks for what the optimiser puts in the ledger (records and results; the configuration is
 * checked by src/config/parse.ts).
 */
import type { EvaluationRecord, RunResult } from "./types.js";

const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isNonNeg = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);

/** Check an evaluation record's shape (a programming error, so TypeError, not UserError). */
export function validateRecord(r: EvaluationRecord): void {
  const fail = (field: string, want: string): never => {
    throw new TypeError(`evaluation record ${r?.index}: "${field}" must be ${want}`);
  };
  if (r === null || typeof r !== "object") throw new TypeError("evaluation record must be an object");
  if (!isCount(r.index)) fail("index", "an integer >= 0");
  if (!isCount(r.iteration)) fail("iteration", "an integer >= 0");
  if (r.z !== null && !(Array.isArray(r.z) && r.z.every(isNum)))
    fail("z", "null or an array of finite numbers");
  if (typeof r.instruction !== "string") fail("instruction", "a string");
  if (!isNum(r.score)) fail("score", "a finite number");
  if (!Array.isArray(r.scores) || !r.scores.every(isNum)) fail("scores", "an array of finite numbers");
  if (!Array.isArray(r.outputs) || !r.outputs.every((o) => typeof o === "string")) {
    fail("outputs", "an array of strings");
  }
  if (r.outputs.length !== r.scores.length) fail("outputs", `as long as scores (${r.scores.length})`);
  if (r.scored !== undefined && !(isCount(r.scored) && r.scored === r.scores.length))
    fail("scored", `absent or the number of scores (${r.scores.length})`);
  if (
    r.feedback !== undefined &&
    !(
      Array.isArray(r.feedback) &&
      r.feedback.length === r.scores.length &&
      r.feedback.every((f) => f === null || typeof f === "string")
    )
  ) {
    fail("feedback", `an array of ${r.scores.length} strings or nulls`);
  }
  if (r.judge !== undefined) {
    for (const f of ["calls", "cacheHits", "inputTokens", "outputTokens"] as const)
      if (!isCount(r.judge?.[f])) fail(`judge.${f}`, "an integer >= 0");
    if (!isNonNeg(r.judge.costUsd)) fail("judge.costUsd", "a number >= 0");
  }
  if (r.origin !== undefined && r.origin !== "init") fail("origin", '"init" or absent');
  if (r.empty !== undefined && typeof r.empty !== "boolean") fail("empty", "a boolean or absent");
  if (typeof r.reused !== "boolean") fail("reused", "a boolean");
  for (const f of ["calls", "cacheHits", "inputTokens", "outputTokens"] as const) {
    if (!isCount(r[f])) fail(f, "an integer >= 0");
  }
  for (const f of ["costUsd", "generationMs", "evaluationMs"] as const) {
    if (!isNonNeg(r[f])) fail(f, "a number >= 0");
  }
}

/** Check a final result's shape (TypeError on a programming error). */
export function validateResult(runId: string, res: RunResult): void {
  const fail = (what: string): never => {
    throw new TypeError(`finishRun(${runId}): ${what}`);
  };
  if (!isCount(res.bestIndex)) fail("bestIndex must be an integer >= 0");
  const t = res.test;
  if (t !== null) {
    if (!isNum(t.score)) fail("test.score must be a finite number");
    if (!Array.isArray(t.scores) || !t.scores.every(isNum)) fail("test.scores must be finite numbers");
    if (!Array.isArray(t.outputs) || t.outputs.length !== t.scores.length) {
      fail("test.outputs must be as long as test.scores");
    }
    if (t.inputs !== undefined && t.inputs.length !== t.scores.length) {
      fail("test.inputs must be as long as test.scores");
    }
    if (t.answers !== undefined && t.answers.length !== t.scores.length) {
      fail("test.answers must be as long as test.scores");
    }
  }
  if (res.totals === null || typeof res.totals !== "object") fail("totals must be an object");
  for (const [k, v] of Object.entries(res.totals)) {
    if (v !== undefined && !isNum(v)) fail(`totals.${k} must be a finite number`);
  }
}
