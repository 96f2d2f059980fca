import { DEFAULTS } from "../../blackbox/options.js";
import type { EvaluationRecord } from "../../store/types.js";
import { evaluateEvent } from "../progress.js";
import { type Incumbent, incumbentOf, isPerfect, racingRank } from "../racing.js";
import { evaluateCandidate, type RaceContext, samePrompt, withDemos } from "../score-candidate.js";
import type { MethodContext, PhaseTiming } from "../types.js";
import { demoSetOf, promptKey } from "./demo-set.js";
import { pairGroups, scoresInPairs } from "./pair-groups.js";
import type { Pick } from "./pick.js";
import { racesWarmStart } from "./warm-start.js";

/**
 * Score the candidates of batch `it` from index `from` on, several at once (so the black box's
 * concurrency stays in use between candidates), appending their records in index order. A
 * candidate whose instruction was already scored, or is being scored, reuses those scores.
 *
 * With `racing`, each candidate is scored block by block against the incumbent of its position: the
 * best fully scored record before it in index order (see ../racing.ts). Candidate j scores its first
 * block at once and waits, before deciding on it, until every candidate before it is decided, so its
 * record depends only on earlier records, never on timing (and a resumed run decides alike).
 * With `stopAtPerfect`, the first record that scores 1 on every validation example ends the batch:
 * the candidates after it stop (raced ones between blocks; unraced ones finish their queries, which
 * are paid and cached) and are not stored, so a resumed run ends at the same record; the batch then
 * counts as finished (true) and ends with that record.
 * Returns false when interrupted (after the candidates already under way are stored).
 */
export async function scoreBatch(
  ctx: MethodContext,
  it: number,
  start: number,
  size: number,
  from: number,
  picks: Promise<Pick>[],
  records: EvaluationRecord[],
  onAppend?: () => void,
): Promise<boolean> {
  const { config } = ctx;
  const total = ctx.splits.validation.length;
  // racing: the run's, or a migration's warm start (warm-start.ts)
  const raced = config.racing || racesWarmStart(config, it);
  const busy = new BusyClock(ctx.timing);
  const firstOf = new Map<string, Promise<EvaluationRecord | null>>();
  const tasks: Promise<EvaluationRecord | null>[] = [];
  let ended = false; // a perfect record was stored: later candidates are not needed
  // incumbent of candidate j: from the records before it (memoised chain over the batch; racing.ts)
  const rank = racingRank(config);
  const earlier = records.slice();
  const decided: Promise<EvaluationRecord[] | undefined>[] = [];
  const recordsBefore = (j: number): Promise<EvaluationRecord[] | undefined> => {
    if (j === from) return Promise.resolve(earlier);
    decided[j] ??= recordsBefore(j - 1).then(async (rs) => {
      if (rs === undefined) return undefined;
      const r = await tasks[j - 1];
      return r ? [...rs, r] : undefined;
    });
    return decided[j];
  };
  // a local: black box scores candidates 2p and 2p+1 as one batch group (see pair-groups.ts)
  const pairs = !raced && scoresInPairs(ctx);
  const groupOf = pairs ? pairGroups(ctx, it, from, picks, records) : undefined;
  const incumbentBefore = (j: number): Promise<Incumbent | null | undefined> =>
    recordsBefore(j).then((rs) => (rs === undefined ? undefined : incumbentOf(rs, total, rank)));
  const launch = (j: number) => {
    tasks[j] = picks[j].then(async (pick) => {
      if (!pick || ctx.signal?.aborted || ended) return null;
      const demos = demoSetOf(ctx, pick.z);
      const candidate = {
        index: start + j,
        iteration: it,
        z: pick.z,
        instruction: pick.text,
        ...(demos ? { demos } : {}),
        generationMs: pick.generationMs,
      };
      const seen = records.find((r) => samePrompt(r, withDemos(ctx, candidate)) && !r.reused);
      if (seen) return evaluateCandidate(ctx, candidate, seen);
      const key = promptKey(pick.text, demos);
      const first = firstOf.get(key);
      if (first) {
        // a twin earlier in the batch: its record, once known (none: this one is not needed either)
        const twin = await first;
        return twin ? evaluateCandidate(ctx, candidate, twin) : null;
      }
      const race: RaceContext | undefined = raced
        ? { incumbent: () => incumbentBefore(j), cancelled: () => ended }
        : undefined;
      // (its twins look it up at once: set before any wait)
      const own = busy.time(async () =>
        evaluateCandidate(ctx, candidate, null, race, groupOf ? await groupOf(j) : undefined),
      );
      firstOf.set(key, own);
      return own;
    });
    tasks[j].catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
  };
  const window = scoringWindow(ctx, raced);
  let launched = from;
  for (let j = from; j < size; j++) {
    // in pairs, a pair's second member is launched with its first
    while (
      launched < size &&
      (launched < j + window || (pairs && launched % 2 === 1)) &&
      !ctx.signal?.aborted
    )
      launch(launched++);
    if (j >= launched) return false;
    const record = await tasks[j];
    if (!record) return false;
    ctx.ledger.appendEvaluation(ctx.runId, record);
    records.push(record);
    onAppend?.();
    ctx.onProgress?.(evaluateEvent(records, config.budget));
    if (config.stopAtPerfect && isPerfect(record, total)) {
      ended = true;
      // nothing keeps running after the search: the candidates under way stop (or finish) first
      await Promise.allSettled(tasks);
      return true;
    }
  }
  return !ctx.signal?.aborted;
}

/**
 * Candidates scored at once: enough validation queries to fill the black box's concurrency twice
 * over, at least 2. With racing, a candidate's queries go out one block at a time, so the window
 * counts blocks.
 */
export function scoringWindow(ctx: MethodContext, raced = ctx.config.racing): number {
  const concurrency = Number(ctx.config.concurrency ?? DEFAULTS.concurrency);
  const perCandidate = raced
    ? Math.min(ctx.config.racingBlock, ctx.splits.validation.length)
    : ctx.splits.validation.length;
  return Math.max(2, Math.ceil((2 * concurrency) / Math.max(1, perCandidate)));
}

/** Adds to `timing.evaluationMs` the time during which at least one evaluation is under way. */
export class BusyClock {
  private active = 0;
  private since = 0;

  constructor(private readonly timing: PhaseTiming) {}

  async time<T>(f: () => Promise<T>): Promise<T> {
    if (this.active++ === 0) this.since = performance.now();
    try {
      return await f();
    } finally {
      if (--this.active === 0) this.timing.evaluationMs += performance.now() - this.since;
    }
  }
}
