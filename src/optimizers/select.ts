/**
 * Choosing the final instruction without the winner's curse.
 *
 * The search scores up to 150 candidates on the same ~20 validation examples and keeps the best. The
 * best validation score is biased upward: among many candidates of similar true accuracy, the one
 * that happened to be lucky on these 20 examples wins, and its score overstates it (one 0/1 example
 * is 5 points). The fix: re-score the top k distinct instructions by validation score
 * ({@link topDistinct}) on a fresh selection split, used neither for demos, validation nor test, and
 * choose there ({@link selectWinner} with rule "fresh"). Rule "validation" is the paper's rule (with
 * ties "latest", the reference implementation's).
 *
 * Tie rules (two scores within {@link SCORE_TIE_EPS}, relative, count as equal so that the same
 * scores summed in a different order still tie):
 * - "fresh": highest selection score; ties by higher validation score; then the earliest candidate
 *   (smallest `index`, i.e. the one the search found first).
 * - "validation": highest validation score; ties by the earliest candidate, as `bestIndex` in
 *   ./score-candidate.ts, or (`ties: "latest"`, the reference's `dev_perf >= best_dev_perf`) by the
 *   latest one.
 * - {@link topDistinct}: by validation score, ties by the earliest index; an instruction that occurs
 *   several times counts once, represented by its best (then earliest) record.
 */

export type SelectionRule = "fresh" | "validation";

export interface SelectionCandidate {
  /** The candidate's evaluation index in the run (earlier = smaller). */
  index: number;
  /** Mean score on the validation examples. */
  validationScore: number;
  /** Mean score on the selection split (takes precedence over `selectionScores`). */
  selectionScore?: number;
  /** Per-example scores on the selection split; their mean is used when `selectionScore` is absent. */
  selectionScores?: readonly number[];
}

export interface Selection {
  /** `index` of the chosen candidate. */
  index: number;
  /** Why it was chosen, in words (for logs and the report). */
  reason: string;
}

/** Relative tolerance under which two mean scores are a tie. */
export const SCORE_TIE_EPS = 1e-9;

/** -1, 0 or 1: the sign of a - b, with differences within SCORE_TIE_EPS (relative) counted as 0. */
export function compareScore(a: number, b: number): number {
  const d = a - b;
  if (Math.abs(d) <= SCORE_TIE_EPS * Math.max(1, Math.abs(a), Math.abs(b))) return 0;
  return d > 0 ? 1 : -1;
}

/** The selection-split score of a candidate, or null when it has none. */
export function selectionScoreOf(c: SelectionCandidate): number | null {
  if (c.selectionScore !== undefined) return c.selectionScore;
  const xs = c.selectionScores;
  if (!xs || xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Choose the winner among `candidates` (typically the top k of {@link topDistinct}, re-scored on the
 * selection split) by `rule`. Throws on an empty list, on non-finite scores, and, for rule "fresh",
 * when a candidate has no selection score (fall back to "validation" explicitly, and say so, when the
 * task is too small for a selection split).
 */
export function selectWinner(
  candidates: readonly SelectionCandidate[],
  rule: SelectionRule,
  ties: "earliest" | "latest" = "earliest",
): Selection {
  if (candidates.length === 0) throw new RangeError("selectWinner: no candidates");
  for (const c of candidates)
    if (!Number.isFinite(c.validationScore))
      throw new RangeError(`selectWinner: candidate #${c.index} has no finite validation score`);

  if (rule === "validation") {
    let best = candidates[0];
    for (const c of candidates.slice(1)) {
      const v = compareScore(c.validationScore, best.validationScore);
      if (v > 0 || (v === 0 && (ties === "latest" ? c.index > best.index : c.index < best.index))) best = c;
    }
    const tied = candidates.filter(
      (c) => c !== best && compareScore(c.validationScore, best.validationScore) === 0,
    );
    return {
      index: best.index,
      reason:
        `highest validation score ${fmt(best.validationScore)}` +
        (tied.length > 0 ? `; tied with ${list(tied)}, ${ties} candidate kept` : ""),
    };
  }

  if (rule !== "fresh") throw new RangeError(`selectWinner: unknown rule ${String(rule)}`);
  const scored = candidates.map((c) => {
    const s = selectionScoreOf(c);
    if (s === null)
      throw new RangeError(`selectWinner: candidate #${c.index} has no selection score (rule "fresh")`);
    if (!Number.isFinite(s))
      throw new RangeError(`selectWinner: candidate #${c.index} has a non-finite selection score`);
    return { c, s };
  });
  let best = scored[0];
  for (const x of scored.slice(1)) {
    const bySel = compareScore(x.s, best.s);
    const byVal = compareScore(x.c.validationScore, best.c.validationScore);
    if (bySel > 0 || (bySel === 0 && (byVal > 0 || (byVal === 0 && x.c.index < best.c.index)))) best = x;
  }
  const tiedSel = scored.filter((x) => x !== best && compareScore(x.s, best.s) === 0);
  const n = best.c.selectionScore === undefined ? best.c.selectionScores?.length : undefined;
  let reason = `highest selection score ${fmt(best.s)}${n ? ` on ${n} fresh examples` : ""} among ${candidates.length} candidates`;
  if (tiedSel.length > 0) {
    reason += `; tied on selection with ${list(tiedSel.map((x) => x.c))}`;
    const tiedVal = tiedSel.filter((x) => compareScore(x.c.validationScore, best.c.validationScore) === 0);
    reason +=
      tiedVal.length === 0
        ? `, broken by the higher validation score ${fmt(best.c.validationScore)}`
        : `, and on validation with ${list(tiedVal.map((x) => x.c))}: earliest candidate kept`;
  }
  return { index: best.c.index, reason };
}

/**
 * Candidates the selection step scores at most: the top k, and a migration's old candidates
 * (phases/old-candidates.ts; fewer when some are among the top k).
 */
export function selectionCount(config: {
  selectionTopK: number;
  oldCandidates?: readonly unknown[];
}): number {
  return config.selectionTopK + (config.oldCandidates?.length ?? 0);
}

/**
 * Evaluation indices of the top `k` distinct instructions by validation score, best first: ties by
 * the earliest index; an instruction scored several times (reused records) counts once, as its best
 * then earliest record. Fewer than k when there are fewer distinct instructions; [] when k <= 0.
 */
export function topDistinct(
  records: readonly { index: number; instruction: string; score: number }[],
  k: number,
): number[] {
  for (const r of records)
    if (!Number.isFinite(r.score))
      throw new RangeError(`topDistinct: record #${r.index} has no finite score`);
  if (k <= 0) return [];
  const sorted = [...records].sort((a, b) => -compareScore(a.score, b.score) || a.index - b.index);
  const seen = new Set<string>();
  const out: number[] = [];
  for (const r of sorted) {
    if (seen.has(r.instruction)) continue;
    seen.add(r.instruction);
    out.push(r.index);
    if (out.length >= k) break;
  }
  return out;
}

function fmt(x: number): string {
  return x.toFixed(3);
}

function list(cs: readonly SelectionCandidate[]): string {
  return cs.map((c) => `#${c.index}`).join(", ");
}

/**
 * Candidates ordered best first by their selection scores (each on the prefix it was scored on):
 * higher mean, ties by higher validation score, then the earlier candidate (as {@link selectWinner}).
 */
export function rankFresh<T extends SelectionCandidate>(candidates: readonly T[]): T[] {
  const mean = (c: T) => {
    const s = selectionScoreOf(c);
    if (s === null) throw new RangeError(`rankFresh: candidate #${c.index} has no selection score`);
    return s;
  };
  return [...candidates].sort(
    (a, b) =>
      -compareScore(mean(a), mean(b)) ||
      -compareScore(a.validationScore, b.validationScore) ||
      a.index - b.index,
  );
}
