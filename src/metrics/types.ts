/**
 * Metrics: how an answer of the black box is scored. A metric is a built-in name (em, f1, es,
 * contains), a user function, or an LLM judge; inside a run each becomes a {@link Scorer}.
 */
import type { BlackBox } from "../blackbox/types.js";
import type { CallUsage } from "../blackbox/usage.js";
import type { MetricName } from "../tasks/types.js";

/** The example a metric function sees: its input, the first accepted answer and every accepted answer. */
export interface MetricExample {
  input: string;
  /** The first accepted answer (the `output` of a `{input, output}` example). */
  output: string;
  /** Every accepted answer. */
  answers: string[];
}

/** What a metric function returns: a score in [0, 1], optionally with feedback shown in the report. */
export type MetricValue = number | { score: number; feedback?: string };

/** A user metric: may be async; must return a number in [0, 1] (or `{ score, feedback }`). */
export type MetricFunction = (args: {
  prediction: string;
  example: MetricExample;
}) => MetricValue | Promise<MetricValue>;

/** Options of an LLM-judge metric (see `judgeMetric`). */
export interface JudgeMetricOptions {
  /** The judge model, "provider:model" (e.g. "openai:gpt-4o-mini"). */
  model: string;
  /** What a good answer is, in the user's words (inserted into the fixed judge prompt). */
  rubric: string;
}

/** An LLM-judge metric: a description the run opens with its own (budgeted, cached) black box. */
export interface JudgeMetric extends JudgeMetricOptions {
  readonly kind: "judge";
}

/** Anything accepted as a metric by `optimizeInstruction`. */
export type MetricSpec = MetricName | MetricFunction | JudgeMetric;

/** Usage of the judge's black box for one scored answer (zeros for other metrics): the one usage type. */
export type JudgeUsage = CallUsage;

/** One scored answer. */
export interface ScoredAnswer {
  /** In [0, 1]. */
  score: number;
  feedback?: string;
  /** Set by judge metrics. */
  judge?: JudgeUsage;
}

/** A metric ready to use inside a run. */
export interface Scorer {
  /** What the ledger and report call it: "em", "function", "judge:openai:gpt-4o-mini" ... */
  readonly name: string;
  score(prediction: string, example: MetricExample): Promise<ScoredAnswer>;
}

/** The judge's black box, given to a judge scorer (the run wraps it with its budget). */
export type JudgeBlackBox = BlackBox;
