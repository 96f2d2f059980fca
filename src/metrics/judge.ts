/**
 * The LLM-as-judge metric: a second model grades each answer of the black box against a rubric
 * written by the user and the example's reference answer(s).
 *
 * - **One fixed prompt** ({@link JUDGE_PROMPT}); the user only supplies the rubric. Placeholders are
 *   filled in one pass, so a prediction (untrusted model output) or an input that contains "[RUBRIC]"
 *   or "[PREDICTION]" is inserted literally and never substituted again.
 * - **Temperature 0** and at most {@link JUDGE_MAX_TOKENS} output tokens: the same answer must get the
 *   same grade, so scores are comparable across candidates and the judgement is a deterministic
 *   function of its prompt, which makes the response cache valid (judging an answer again is free).
 * - **Scale**: the judge answers an integer 0-10; the score is that value / 10, in [0, 1].
 * - **Parsing** ({@link parseJudgeAnswer}) is lenient about format, strict about range:
 *   1. a JSON object anywhere in the answer (also in a ```json fence) with a numeric `score`
 *      (or `rating` / `grade`; a number or a string such as "8" or "8/10"), reason from `reason`
 *      (or `explanation` / `rationale` / `justification`);
 *   2. else the first labelled number: "Score: 8", "score: 8/10", "**Score:** 7", "Score: 7.5",
 *      "Rating: 9", "Final grade = 6", "a score of 8 out of 10" (case-insensitive, any whitespace,
 *      Markdown emphasis ignored, leading chatter skipped). "x/N" or "x out of N" scales by N;
 *   3. else an unlabelled "x/10" or "x out of 10" anywhere, or an answer that is only a number.
 *   The value must lie in [0, 10] (in [0, N] for "x/N"); anything else (negative, above the scale,
 *   "N/A", no number at all) is unparseable. The reason is the text after "Reason:" (or the JSON
 *   reason), else the rest of the answer after the score (or before it when nothing follows),
 *   whitespace collapsed, at most 500 characters.
 * - **Unparseable answers** never throw: the example scores 0 and the feedback is
 *   `judge answer could not be parsed: "<first 200 characters of the answer>"`, so a run does not
 *   die on one odd judgement and the report shows what the judge said. Errors of the judge's black
 *   box itself (authentication, budget, outage after retries) do propagate.
 */
import { parseModelId } from "../blackbox/registry.js";
import type { BlackBox } from "../blackbox/types.js";
import { usageOf } from "../blackbox/usage.js";
import { UserError } from "../util/errors.js";
import type {
  JudgeMetric,
  JudgeMetricOptions,
  JudgeUsage,
  MetricExample,
  ScoredAnswer,
  Scorer,
} from "./types.js";

/** Longest rubric accepted, in characters. */
export const MAX_RUBRIC_CHARS = 20_000;

/** Upper bound on the judge's output tokens (the expected reply is two short lines). */
export const JUDGE_MAX_TOKENS = 128;

/** Longest reason kept from a judge answer, in characters. */
export const MAX_REASON_CHARS = 500;

/** How much of an unparseable answer is quoted in the feedback, in characters. */
export const UNPARSEABLE_QUOTE_CHARS = 200;

/**
 * The judge prompt. Placeholders: `[RUBRIC]` the user's rubric, `[INPUT]` the example's input,
 * `[ANSWERS]` its accepted reference answers (one per line, "- " prefixed), `[PREDICTION]` the black
 * box's output being graded. Filled by {@link renderJudgePrompt} in one pass.
 */
export const JUDGE_PROMPT = `You are an impartial judge grading the output of an AI system.

Rubric (what a good output is):
[RUBRIC]

Input given to the system:
[INPUT]

Reference answer(s) (any one of them is a correct answer):
[ANSWERS]

System output to grade:
[PREDICTION]

Grade the system output against the rubric and the reference answer(s) on an integer scale from 0 (completely wrong) to 10 (fully correct and meets the rubric).
Reply with exactly two lines and nothing else:
Score: <0-10>
Reason: <one sentence>`;

/**
 * Validate the options of an LLM-judge metric and return the frozen metric description
 * `{ kind: "judge", model, rubric }`. `model` must be "provider:model" (returned as
 * "provider:model" with the provider lower-cased and both parts trimmed); `rubric` a non-empty
 * string of at most {@link MAX_RUBRIC_CHARS} characters. Bad options are a UserError naming the field.
 */
export function judgeMetric(options: JudgeMetricOptions): JudgeMetric {
  if (typeof options !== "object" || options === null) {
    throw new UserError("judgeMetric: options must be an object { model, rubric }");
  }
  const { model, rubric } = options;
  if (typeof model !== "string" || model.trim() === "") {
    throw new UserError(
      'judgeMetric: "model" must be a non-empty string "provider:model" (e.g. openai:gpt-4o-mini)',
    );
  }
  let id: { provider: string; model: string };
  try {
    id = parseModelId(model);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`judgeMetric: "model": ${err.message}`, { cause: err });
    throw err;
  }
  if (typeof rubric !== "string") {
    throw new UserError(
      `judgeMetric: "rubric" must be a string, got ${rubric === null ? "null" : typeof rubric}`,
    );
  }
  if (rubric.trim() === "") {
    throw new UserError('judgeMetric: "rubric" must not be empty: describe what a good answer is');
  }
  if (rubric.length > MAX_RUBRIC_CHARS) {
    throw new UserError(
      `judgeMetric: "rubric" is ${rubric.length} characters long; at most ${MAX_RUBRIC_CHARS} are allowed`,
    );
  }
  return Object.freeze({ kind: "judge" as const, model: `${id.provider}:${id.model}`, rubric });
}

/** The reference answers as the judge sees them: one per line, "- " prefixed; "(none)" when empty. */
function renderAnswers(example: MetricExample): string {
  const answers = example.answers.length > 0 ? example.answers : [example.output];
  const shown = answers.filter((a) => a !== "");
  return shown.length === 0 ? "(none)" : shown.map((a) => `- ${a}`).join("\n");
}

/** {@link JUDGE_PROMPT} for one rubric, example and prediction, filled in one pass. */
export function renderJudgePrompt(rubric: string, example: MetricExample, prediction: string): string {
  const values: Record<string, string> = {
    RUBRIC: rubric,
    INPUT: example.input,
    ANSWERS: renderAnswers(example),
    PREDICTION: prediction,
  };
  return JUDGE_PROMPT.replace(/\[(RUBRIC|INPUT|ANSWERS|PREDICTION)\]/g, (_, key: string) => values[key]);
}

/** A parsed judge answer: score in [0, 1] and the judge's reason. */
export interface JudgeAnswer {
  score: number;
  reason: string;
}

/** A decimal number, not the first part of a longer one. */
const NUMBER = String.raw`(-?\d+(?:\.\d+)?)(?!\.?\d|e[+-]?\d)`;
/** An optional "/N" or "out of N". */
const SCALE = String.raw`(?:\s*(?:\/|out\s+of)\s*(\d+(?:\.\d+)?)(?!\.?\d))?`;
/** Not the start of a range such as "0-10" or "0 to 10" (that describes the scale, it is no score). */
const NOT_RANGE = String.raw`(?!\s*(?:-|–|to\b)\s*\d)`;
/**
 * "score" / "rating" / "grade" (optionally quoted, emphasised or followed by a parenthesis such as
 * "(0-10)"), an optional separator (":", "=", "is", "of"), then a number.
 */
const LABELLED = new RegExp(
  String.raw`\b(?:score|rating|grade)\b["'*_]*(?:\s*\([^()\n]*\))?["'*_]*\s*(?:[:=]|\bis\b:?|\bof\b)?\s*[*_"']*\s*` +
    NUMBER +
    SCALE +
    NOT_RANGE,
  "i",
);
/** An unlabelled "x/10" or "x out of 10". */
const OUT_OF_TEN = new RegExp(
  String.raw`(?<![\w./-])` + NUMBER + String.raw`\s*(?:\/|out\s+of)\s*10(?!\.?\d)`,
  "i",
);
/** An answer that is a number and nothing else (emphasis and a final period allowed). */
const ONLY_NUMBER = new RegExp(String.raw`^[*_\s]*` + NUMBER + String.raw`[*_\s.]*$`);
/** "Reason:" and friends, as a label. */
const REASON_LABEL = /\b(?:reason(?:ing)?|explanation|rationale|justification)\b[*_]*\s*:[*_]*/i;

function clean(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, MAX_REASON_CHARS);
}

/** value / scale in [0, 1], or null when value is outside [0, scale]. */
function normalise(value: number, scale = 10): number | null {
  if (!Number.isFinite(value) || !Number.isFinite(scale) || scale <= 0) return null;
  if (value < 0 || value > scale) return null;
  return Math.min(1, Math.max(0, value / scale));
}

/** A score from a JSON field: a number, or a string such as "8", "8/10", "Score: 8". */
function scoreFromField(value: unknown): number | null | undefined {
  if (typeof value === "number") return normalise(value);
  if (typeof value !== "string") return undefined;
  const m = new RegExp(String.raw`^\s*` + NUMBER + SCALE + String.raw`\s*$`, "i").exec(value);
  if (m) return normalise(Number(m[1]), m[2] === undefined ? 10 : Number(m[2]));
  return undefined;
}

/** The JSON-object form ({"score": 8, "reason": "..."}), or undefined when there is none. */
function parseJsonAnswer(text: string): JudgeAnswer | null | undefined {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
  const fields = new Map(Object.entries(obj).map(([k, v]) => [k.toLowerCase(), v] as const));
  const key = ["score", "rating", "grade"].find((k) => fields.has(k));
  if (key === undefined) return undefined;
  const score = scoreFromField(fields.get(key));
  if (score === undefined) return undefined;
  if (score === null) return null;
  const reasonKey = ["reason", "reasoning", "explanation", "rationale", "justification"].find(
    (k) => typeof fields.get(k) === "string",
  );
  return { score, reason: reasonKey === undefined ? "" : clean(fields.get(reasonKey) as string) };
}

/** The reason of a text answer whose score was found at [start, end). */
function textReason(text: string, start: number, end: number): string {
  const labelled = REASON_LABEL.exec(text);
  if (labelled) {
    const from = labelled.index + labelled[0].length;
    // "Reason: ... Score: 7": the reason ends where the score begins.
    if (labelled.index < start) return clean(trimEnd(text.slice(from, start)));
    return clean(text.slice(from));
  }
  const after = text
    .slice(end)
    .replace(/^[\s*_.,;:)\]"'\-–—]+/, "")
    .trim();
  if (after !== "") return clean(after);
  return clean(trimEnd(text.slice(0, start)));
}

/** Drop separators and emphasis at the end of a text that preceded a score. */
function trimEnd(text: string): string {
  return text.replace(/(?:[\s*_,;:(["'\-–—]|\b(?:final|overall|total)\b)+$/i, "");
}

/**
 * Parse a judge's reply into a score in [0, 1] and a reason, or null when it holds no usable score
 * (see the module comment for the accepted forms and rules).
 */
export function parseJudgeAnswer(text: string): JudgeAnswer | null {
  if (typeof text !== "string") return null;
  const json = parseJsonAnswer(text);
  if (json !== undefined) return json;

  const labelled = LABELLED.exec(text);
  if (labelled) {
    const score = normalise(Number(labelled[1]), labelled[2] === undefined ? 10 : Number(labelled[2]));
    if (score === null) return null;
    return { score, reason: textReason(text, labelled.index, labelled.index + labelled[0].length) };
  }

  const outOfTen = OUT_OF_TEN.exec(text);
  if (outOfTen) {
    const score = normalise(Number(outOfTen[1]));
    if (score === null) return null;
    return { score, reason: textReason(text, outOfTen.index, outOfTen.index + outOfTen[0].length) };
  }

  const only = ONLY_NUMBER.exec(text);
  if (only) {
    const score = normalise(Number(only[1]));
    return score === null ? null : { score, reason: "" };
  }
  return null;
}

/** Feedback of an answer {@link parseJudgeAnswer} could not read. */
export function unparseableFeedback(text: string): string {
  return `judge answer could not be parsed: "${text.trim().slice(0, UNPARSEABLE_QUOTE_CHARS)}"`;
}

/**
 * A scorer that asks `blackBox` (the judge model, already cached, retried, counted and priced) to
 * grade each prediction: one request per call of `score`, at temperature 0 with at most
 * {@link JUDGE_MAX_TOKENS} output tokens. The returned `judge` usage counts that one call: from the
 * cache it is `cacheHits: 1` and zero calls, tokens and dollars; otherwise `calls: 1` with the
 * completion's tokens and cost. An unparseable answer scores 0 (see {@link unparseableFeedback}).
 */
export function createJudgeScorer(judge: JudgeMetric, blackBox: BlackBox): Scorer {
  const name = `judge:${judge.model}`;
  return {
    name,
    async score(prediction: string, example: MetricExample): Promise<ScoredAnswer> {
      const completion = await blackBox.complete({
        prompt: renderJudgePrompt(judge.rubric, example, prediction),
        temperature: 0,
        maxTokens: JUDGE_MAX_TOKENS,
      });
      const usage: JudgeUsage = usageOf(completion);
      const parsed = parseJudgeAnswer(completion.text);
      if (parsed === null) return { score: 0, feedback: unparseableFeedback(completion.text), judge: usage };
      return { score: parsed.score, feedback: parsed.reason, judge: usage };
    },
  };
}
