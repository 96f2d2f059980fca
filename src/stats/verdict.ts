/**
 * The run's verdict in three words, from the winner's comparisons with every baseline (./compare.ts):
 * - **ship**: the lower bound of the gain over every baseline is above 0 (every comparison "better");
 * - **don't ship**: some baseline is better than the winner (a comparison's upper bound below 0);
 * - **inconclusive**: otherwise, with how many more test examples would decide it, estimated by
 *   assuming the observed differences and spreads hold: an interval's half-width shrinks as
 *   1 / sqrt(n), so a comparison with difference d > 0 and lower half-width h = d - low decides at
 *   n (h / d)^2 examples (d < 0: upper half-width, the same way). If a comparison leans negative, the
 *   first of those to decide makes it "don't ship"; else every comparison has to decide, the last one
 *   sets the count. A difference of exactly 0 never decides: the count is then unknown (null).
 * Pure: no randomness, no I/O.
 */

/** The three words. */
export type ShipWord = "ship" | "don't ship" | "inconclusive";

/** What the verdict needs from one comparison. */
export interface VerdictInput {
  /** Name of the baseline (for the reason). */
  baseline: string;
  /** Mean difference winner - baseline, its interval, and the number of paired test examples. */
  diff: number;
  low: number;
  high: number;
  n: number;
}

export interface ShipVerdict {
  verdict: ShipWord;
  /** Inconclusive: more test examples that would likely decide it (null: unknown); else 0. */
  moreExamples: number | null;
  /** Inconclusive: which way it leans ("ship" or "don't ship"), when known. */
  leaning?: "ship" | "don't ship";
  /** In words, e.g. "don't ship: worse than human instruction". */
  text: string;
}

/** The verdict from the comparisons with every baseline (see the module comment). */
export function shipVerdict(comparisons: readonly VerdictInput[]): ShipVerdict {
  if (comparisons.length === 0)
    return {
      verdict: "inconclusive",
      moreExamples: null,
      text: "inconclusive: no baseline was scored on the test split",
    };
  const worse = comparisons.filter((c) => c.high < 0);
  if (worse.length > 0)
    return {
      verdict: "don't ship",
      moreExamples: 0,
      text: `don't ship: worse than ${worse.map((c) => c.baseline).join(", ")}`,
    };
  if (comparisons.every((c) => c.low > 0))
    return { verdict: "ship", moreExamples: 0, text: "ship: better than every baseline" };
  const open = comparisons.filter((c) => !(c.low > 0));
  const need = (c: VerdictInput): number | null => {
    if (c.diff === 0) return null;
    const h = c.diff > 0 ? c.diff - c.low : c.high - c.diff;
    const total = Math.floor(c.n * (h / Math.abs(c.diff)) ** 2) + 1;
    return Math.max(1, total - c.n);
  };
  const negative = open.filter((c) => c.diff < 0);
  let more: number | null;
  let leaning: "ship" | "don't ship" | undefined;
  if (negative.length > 0) {
    leaning = "don't ship";
    more = Math.min(...negative.map((c) => need(c) as number));
  } else {
    const needs = open.map(need);
    more = needs.some((x) => x === null) ? null : Math.max(...(needs as number[]));
    leaning = more === null ? undefined : "ship";
  }
  const undecided = open.map((c) => c.baseline).join(", ");
  const text =
    more === null
      ? `inconclusive: not distinguishable from ${undecided}; no number of test examples is expected to decide it`
      : `inconclusive: not distinguishable from ${undecided}; about ${more} more test examples would likely decide it (${leaning}), if the observed differences hold`;
  return { verdict: "inconclusive", moreExamples: more, ...(leaning ? { leaning } : {}), text };
}
