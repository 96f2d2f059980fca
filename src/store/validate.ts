/** Shape checks for what enters the ledger (config from the user, records and results from the optimiser). */
import { UserError } from "../util/errors.js";
import type { EvaluationRecord, RunConfig, RunResult } from "./types.js";

const METHODS = ["instructzero", "uniform", "ape"];
const BATCH_MODES = ["reference", "distinct"];

/** Check a run configuration's required fields; UserError naming the field and value otherwise. */
export function validateConfig(config: RunConfig): void {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new UserError("run config must be an object");
  }
  const bad = (field: string, want: string): never => {
    throw new UserError(`run config field "${field}" must be ${want} (got ${JSON.stringify(config[field])})`);
  };
  const str = (f: string, optional = false) => {
    const v = config[f];
    if (optional && v === undefined) return;
    if (typeof v !== "string" || v.length === 0) bad(f, "a non-empty string");
  };
  const int = (f: string, min: number, optional = false) => {
    const v = config[f];
    if (optional && v === undefined) return;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) bad(f, `an integer >= ${min}`);
  };
  str("task");
  str("taskFile", true);
  str("target");
  str("generator", true);
  if (!METHODS.includes(config.method)) bad("method", `one of ${METHODS.join(", ")}`);
  if (!BATCH_MODES.includes(config.batchMode)) bad("batchMode", `one of ${BATCH_MODES.join(", ")}`);
  int("budget", 1);
  int("seed", Number.MIN_SAFE_INTEGER);
  int("nTokens", 1);
  int("intrinsicDim", 1);
  int("initialPoints", 0);
  int("batchSize", 1);
  int("validationSize", 1);
  int("maxCalls", 0, true);
  if (config.maxCost !== undefined && !(typeof config.maxCost === "number" && config.maxCost >= 0)) {
    bad("maxCost", "a number >= 0");
  }
  let text: string;
  try {
    text = JSON.stringify(config);
  } catch (err) {
    throw new UserError(`run config is not JSON-serialisable: ${(err as Error).message}`);
  }
  const back = JSON.parse(text) as Record<string, unknown>;
  for (const k of Object.keys(config)) {
    if (config[k] !== undefined && !(k in back)) bad(k, "a JSON value");
  }
}

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
