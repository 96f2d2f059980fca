import type { MetricName } from "./types.js";

/**
 * The instruction-induction metrics, with the reference normalisation (Honovich et al. 2022, as used by
 * APE and InstructZero). Every function here agrees with the reference Python implementation case for
 * case (test/fixtures/metrics/oracle.json is produced by scripts/oracles/metrics_oracle.py).
 *
 * Python string semantics are reproduced where they differ from JavaScript: `str.strip()`/`str.split()`
 * whitespace, `string.punctuation`, and the Unicode-aware `\b` of Python's `re`.
 */

/** Characters Python's str.isspace() accepts (str.strip() / str.split() separators). */
const PY_WHITESPACE =
  "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const WS_CLASS = `[${PY_WHITESPACE.replace(/[\]\\^-]/g, "\\$&")}]`;
const STRIP_RE = new RegExp(`^${WS_CLASS}+|${WS_CLASS}+$`, "gu");
const SPLIT_RE = new RegExp(`${WS_CLASS}+`, "u");
/** Python's string.punctuation (ASCII only). */
const PUNCTUATION_RE = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** Python's `re` word characters for str patterns: letters, numbers and underscore. */
const WORD = "[\\p{L}\\p{N}_]";
const BOUNDARY = `(?:(?<!${WORD})(?=${WORD})|(?<=${WORD})(?!${WORD}))`;

/** Python str.strip(). */
function pyStrip(s: string): string {
  return s.replace(STRIP_RE, "");
}

/** Python str.split() (no argument): split on runs of whitespace, dropping empty pieces. */
export function pySplit(s: string): string[] {
  const t = pyStrip(s);
  return t === "" ? [] : t.split(SPLIT_RE);
}

/**
 * Reference normalisation: " and " -> " ", drop "Sentence 1:"/"Sentence 2:", strip, keep the first line,
 * keep the text before the first ".", lowercase, "-" -> " ", remove ASCII punctuation.
 */
export function normalizePrediction(text: string, lowercase = true): string {
  let p = text.replaceAll(" and ", " ");
  p = p.replaceAll("Sentence 1:", " ").replaceAll("Sentence 2:", " ");
  p = pyStrip(p);
  p = p.split("\n")[0];
  p = p.split(".")[0];
  if (lowercase) p = p.toLowerCase();
  p = p.replaceAll("-", " ");
  return p.replace(PUNCTUATION_RE, "");
}

/** Exact match after normalisation (0 or 1). */
export function emScore(prediction: string, answer: string): number {
  return normalizePrediction(prediction) === normalizePrediction(answer) ? 1 : 0;
}

/** Token-level F1 between normalised prediction and answer (SQuAD style, multiset overlap). */
export function f1Score(prediction: string, answer: string): number {
  const pred = pySplit(normalizePrediction(prediction));
  const gold = pySplit(normalizePrediction(answer));
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / pred.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Exact set: the normalised token sets are equal (0 or 1). */
export function exactSetScore(prediction: string, answer: string): number {
  const a = new Set(pySplit(normalizePrediction(prediction)));
  const b = new Set(pySplit(normalizePrediction(answer)));
  if (a.size !== b.size) return 0;
  for (const t of a) if (!b.has(t)) return 0;
  return 1;
}

/**
 * Contains: the normalised answer occurs in the normalised prediction between word boundaries.
 * The reference builds the regex from the answer without escaping; since its normalisation removes
 * every ASCII punctuation character first, escaping changes no result, but it makes the function safe
 * for any input. As in the reference, an answer that normalises to "" matches any prediction that
 * contains a word character.
 */
export function containsScore(prediction: string, answer: string): number {
  const pred = normalizePrediction(prediction);
  const gold = normalizePrediction(answer).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`${BOUNDARY}(${gold})${BOUNDARY}`, "u").test(pred) ? 1 : 0;
}

const SINGLE: Record<MetricName, (prediction: string, answer: string) => number> = {
  em: emScore,
  f1: f1Score,
  es: exactSetScore,
  contains: containsScore,
};

/** Every metric name. */
export const METRICS: readonly MetricName[] = ["em", "f1", "es", "contains"];

/**
 * Score one prediction against every accepted answer: the maximum over answers (for em/es/contains
 * that is "any answer matches"). Returns a number in [0, 1]; 0 when `answers` is empty.
 */
export function scoreMetric(metric: MetricName, prediction: string, answers: readonly string[]): number {
  const fn = SINGLE[metric];
  if (!fn) throw new Error(`unknown metric "${metric}" (known: ${METRICS.join(", ")})`);
  let best = 0;
  for (const a of answers) {
    const s = fn(prediction, a);
    if (s > best) best = s;
    if (best === 1) break;
  }
  return best;
}

/** The reference's per-task metric map (instruction-induction tasks); every other task uses em. */
export const TASK_METRICS: Readonly<Record<string, MetricName>> = {
  common_concept: "f1",
  informal_to_formal: "f1",
  orthography_starts_with: "es",
  taxonomy_animal: "es",
  synonyms: "contains",
};

/** Metric of a task: its own when it carries one, else the reference map, else em. */
export function metricForTask(task: string | { name: string; metric?: MetricName }): MetricName {
  if (typeof task !== "string" && task.metric) return task.metric;
  const name = typeof task === "string" ? task : task.name;
  return TASK_METRICS[name] ?? "em";
}

/** Check a user-supplied metric name. */
export function isMetricName(name: string): name is MetricName {
  return (METRICS as readonly string[]).includes(name);
}
