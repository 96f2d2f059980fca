import { HaltedError } from "../blackbox/errors.js";
import type { BlackBox } from "../blackbox/types.js";
import { addUsage, type CallUsage, zeroUsage } from "../blackbox/usage.js";
import { builtinScorer, checkMetricValue, metricExample } from "../metrics/scorer.js";
import type { JudgeUsage, Scorer } from "../metrics/types.js";
import { type QueryTemplate, renderQuery } from "../tasks/templates.js";
import type { Demo, Example, MetricName } from "../tasks/types.js";
import { quoted, UserCodeError } from "../util/user-code-error.js";

/** Default cap on black-box answer tokens: the metrics only read the first sentence of an answer. */
export const DEFAULT_ANSWER_TOKENS = 64;

/** Evaluations started by this process (batch-group ids). */
let evaluations = 0;

/** Options of {@link evaluateInstruction}. */
export interface EvaluateOptions {
  /** A built-in metric name or a scorer (user function, LLM judge; see src/metrics). */
  metric: MetricName | Scorer;
  /** Query template: "validation" (default) or "test" (the reference uses slightly different ones). */
  template?: QueryTemplate;
  /** Max answer tokens per query [64]. */
  maxTokens?: number;
  /** Name of the example set in error messages ("validation", "test") [validation or test by template]. */
  split?: string;
  /** The run phase, for error messages ("search", "selection", "baselines", "test") [not named]. */
  phase?: string;
  /** Demonstrations put in every query (few-shot prompts, `targetDemos`; see renderQuery) [none]. */
  demos?: readonly Demo[];
  /** Called as each example is scored (in completion order). */
  onExample?: (result: ExampleResult, index: number) => void;
  /**
   * A batch group shared with other evaluations (default: this evaluation's queries are a group of
   * their own): its id, its size over all its evaluations, and where this evaluation's queries start in
   * it. A local black box decodes a group's queries together (see src/generator/batch-scheduler.ts).
   */
  batchGroup?: SharedBatchGroup;
}

/** A batch group several evaluations' queries belong to (see {@link EvaluateOptions.batchGroup}). */
export interface SharedBatchGroup {
  id: string;
  size: number;
  offset: number;
}

/** One scored example. */
export interface ExampleResult {
  input: string;
  answers: string[];
  /** The exact query sent to the black box. */
  prompt: string;
  /** The black box's answer. */
  output: string;
  score: number;
  /** The metric's feedback (user metrics, judge reasons). */
  feedback?: string;
  /** The judge's usage for this answer (judge metrics). */
  judge?: JudgeUsage;
  /** True when the answer came from the response cache (nothing was paid). */
  cached: boolean;
  /** A cached answer's dollars at the target's prices (see Completion.listUsd). */
  listUsd?: number;
  /** Milliseconds the black-box call took (queueing in the client included; cached: the cache lookup). */
  ms: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Cost and usage of one evaluation; tokens and dollars count paid (non-cached) completions only. */
export interface EvaluationUsage extends CallUsage {
  /** The judge's usage (judge metrics; zeros otherwise), not included in the fields above. */
  judge: JudgeUsage;
}

/** The score of one instruction on a set of examples. */
export interface InstructionEvaluation extends EvaluationUsage {
  instruction: string;
  /** Mean of `scores`. */
  score: number;
  /** Per-example scores, in the order of the examples. */
  scores: number[];
  examples: ExampleResult[];
  ms: number;
  /** Dollars per 1,000 queries at the target's prices and median latency of the paid calls (see {@link costOf}). */
  usdPer1k?: number;
  latencyMs?: number;
}

/**
 * Score an instruction zero-shot on `examples`: one black-box query per example (the black box applies
 * its own concurrency limit, retries and cache), each answer scored with the task metric.
 * If a query fails for good, every other query still completes (and lands in the response cache)
 * before the first error is rethrown, so nothing paid for is lost.
 */
export async function evaluateInstruction(
  blackBox: BlackBox,
  instruction: string,
  examples: readonly Example[],
  options: EvaluateOptions,
): Promise<InstructionEvaluation> {
  const start = performance.now();
  const template = options.template ?? "validation";
  const maxTokens = options.maxTokens ?? DEFAULT_ANSWER_TOKENS;
  const scorer = typeof options.metric === "string" ? builtinScorer(options.metric) : options.metric;
  const split = options.split ?? template;
  const demos = options.demos ?? [];
  // where a failure of the user's code (black-box module, metric) happened, for its message
  const where = (i: number, input: string) =>
    `${split} example ${i} (input ${quoted(input)}) of instruction ${quoted(instruction)}` +
    (options.phase ? ` (${options.phase})` : "");
  const placed = (i: number, input: string) => (err: unknown) => {
    throw err instanceof UserCodeError ? err.at(where(i, input)) : err;
  };
  // this evaluation's queries are one batch group: a local black box batches them on their own
  const shared = options.batchGroup;
  const group = shared?.id ?? `evaluation-${++evaluations}`;
  const groupSize = shared?.size ?? examples.length;
  const offset = shared?.offset ?? 0;
  const settled = await Promise.allSettled(
    examples.map(async (ex, i): Promise<ExampleResult> => {
      const prompt = renderQuery(instruction, ex.input, template, demos);
      const parts = demos.length ? { instruction, input: ex.input, demos } : { instruction, input: ex.input };
      const batchGroup = { id: group, size: groupSize, index: offset + i };
      const t0 = performance.now();
      const c = await blackBox.complete({ prompt, maxTokens, parts, batchGroup }).catch(placed(i, ex.input));
      const ms = performance.now() - t0;
      const example = metricExample(ex);
      const scored = await scorer.score(c.text, example).catch(placed(i, ex.input));
      checkMetricValue(scorer, scored, { split, index: i, example });
      const result: ExampleResult = {
        input: ex.input,
        answers: ex.answers,
        prompt,
        output: c.text,
        score: scored.score,
        ...(scored.feedback !== undefined ? { feedback: scored.feedback } : {}),
        ...(scored.judge ? { judge: scored.judge } : {}),
        cached: c.cached,
        ...(c.cached && c.listUsd !== undefined ? { listUsd: c.listUsd } : {}),
        ms,
        inputTokens: c.usage.inputTokens,
        outputTokens: c.usage.outputTokens,
        costUsd: c.costUsd,
      };
      options.onExample?.(result, i);
      return result;
    }),
  );
  // the error that failed first, not the calls its black box then stopped (HaltedError)
  const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
  const failed = rejected.find((s) => !(s.reason instanceof HaltedError)) ?? rejected[0];
  if (failed) throw failed.reason;
  const results = settled.map((s) => (s as PromiseFulfilledResult<ExampleResult>).value);
  const scores = results.map((r) => r.score);
  return {
    instruction,
    score: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0,
    scores,
    examples: results,
    ...sumUsage(results),
    ms: performance.now() - start,
    ...costOf(results),
  };
}

/**
 * Dollars per 1,000 queries of `results` at the target's prices (1000 x dollars / queries: a paid
 * answer's dollars, a cached answer's listUsd, so the figure does not depend on what the cache held, e.g.
 * after a resume) and the median latency of the paid calls (a cached answer says nothing of latency);
 * each absent when no result gives it.
 */
export function costOf(results: readonly ExampleResult[]): { usdPer1k?: number; latencyMs?: number } {
  const priced = results.filter((r) => !r.cached || r.listUsd !== undefined);
  const paid = results.filter((r) => !r.cached);
  const usd = priced.reduce((a, r) => a + (r.cached ? (r.listUsd as number) : r.costUsd), 0);
  return {
    ...(priced.length > 0 ? { usdPer1k: (1000 * usd) / priced.length } : {}),
    ...(paid.length > 0 ? { latencyMs: median(paid.map((r) => r.ms)) } : {}),
  };
}

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Usage summed over example results. */
export function sumUsage(results: readonly ExampleResult[]): EvaluationUsage {
  const u: EvaluationUsage = { ...zeroUsage(), judge: zeroUsage() };
  for (const r of results) {
    if (r.judge) addJudgeUsage(u.judge, r.judge);
    if (r.cached) {
      u.cacheHits++;
      continue;
    }
    u.calls++;
    u.inputTokens += r.inputTokens;
    u.outputTokens += r.outputTokens;
    u.costUsd += r.costUsd;
  }
  return u;
}

/** Judge usage of nothing. */
export const zeroJudgeUsage: () => JudgeUsage = zeroUsage;

/** Add `b` into `a`. */
export function addJudgeUsage(a: JudgeUsage, b: JudgeUsage): void {
  addUsage(a, b);
}
