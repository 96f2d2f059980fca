/** Turn a metric (built-in name or user function) into a {@link Scorer}; judges: see ./judge.ts. */
import { isMetricName, METRICS, scoreMetric } from "../tasks/metrics.js";
import type { MetricName } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
import { UserCodeError } from "../util/user-code-error.js";
import type { MetricExample, MetricFunction, MetricValue, ScoredAnswer, Scorer } from "./types.js";

/** A built-in metric (reference normalisation; see src/tasks/metrics.ts). */
export function builtinScorer(name: MetricName): Scorer {
  if (!isMetricName(name)) throw new UserError(`unknown metric "${name}" (known: ${METRICS.join(", ")})`);
  return {
    name,
    score: async (prediction, example) => ({ score: scoreMetric(name, prediction, example.answers) }),
  };
}

/** How messages name a scorer: `metric module /x/metric.mjs` (name `module:/x/metric.mjs`), `metric em`. */
export function metricLabel(scorer: Pick<Scorer, "name">): string {
  return scorer.name.startsWith("module:")
    ? `metric module ${scorer.name.slice("module:".length)}`
    : `metric ${scorer.name}`;
}

/**
 * A user's metric function; its value is checked by {@link checkMetricValue} where the example is known.
 * What it throws becomes a {@link UserCodeError} naming it (the evaluation adds the example).
 */
export function functionScorer(fn: MetricFunction, name = "function"): Scorer {
  if (typeof fn !== "function")
    throw new UserError("metric must be a function, a metric name or judgeMetric(...)");
  const scorer: Scorer = {
    name,
    async score(prediction, example) {
      let value: MetricValue;
      try {
        value = await fn({ prediction, example: { ...example, answers: [...example.answers] } });
      } catch (err) {
        if (err instanceof UserCodeError || err instanceof UserError) throw err;
        throw new UserCodeError(metricLabel(scorer), { kind: "threw", error: err });
      }
      return toScored(value);
    },
  };
  return scorer;
}

function toScored(v: MetricValue): ScoredAnswer {
  if (typeof v === "number") return { score: v };
  if (v !== null && typeof v === "object" && "score" in v) {
    const out: ScoredAnswer = { score: v.score };
    if (v.feedback !== undefined) out.feedback = String(v.feedback);
    return out;
  }
  return { score: Number.NaN, feedback: `not a number: ${JSON.stringify(v)?.slice(0, 80)}` };
}

/**
 * Throw a UserError naming the example when a metric's value is not a number in [0, 1]
 * (NaN, infinite, negative, above 1, or not a number at all).
 */
export function checkMetricValue(
  scorer: Scorer,
  value: ScoredAnswer,
  where: { split: string; index: number; example: MetricExample },
): void {
  const s = value.score;
  if (typeof s === "number" && Number.isFinite(s) && s >= 0 && s <= 1) return;
  const input =
    where.example.input.length > 60 ? `${where.example.input.slice(0, 57)}...` : where.example.input;
  const got = typeof s === "number" ? String(s) : JSON.stringify(s);
  throw new UserError(
    `${metricLabel(scorer)} returned ${got}${value.feedback && Number.isNaN(s) ? ` (${value.feedback})` : ""} for ${where.split} example ${where.index} (input ${JSON.stringify(input)}); a metric must return a number in [0, 1] or { score, feedback }`,
  );
}

/** The example a metric sees, from a task example. */
export function metricExample(ex: { input: string; answers: string[] }): MetricExample {
  return { input: ex.input, output: ex.answers[0] ?? "", answers: ex.answers };
}
