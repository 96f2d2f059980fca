import { DEFAULTS } from "../../blackbox/options.js";
import type { EvaluationRecord } from "../../store/types.js";
import { evaluateEvent } from "../progress.js";
import { evaluateCandidate } from "../score-candidate.js";
import type { MethodContext, PhaseTiming } from "../types.js";
import type { Pick } from "./pick.js";

/**
 * Score the candidates of batch `it` from index `from` on, several at once (so the black box's
 * concurrency stays in use between candidates), appending their records in index order. A
 * candidate whose instruction was already scored, or is being scored, reuses those scores.
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
  const busy = new BusyClock(ctx.timing);
  const firstOf = new Map<string, Promise<EvaluationRecord>>();
  const tasks: Promise<EvaluationRecord | null>[] = [];
  const launch = (j: number) => {
    tasks[j] = picks[j].then(async (pick) => {
      if (!pick || ctx.signal?.aborted) return null;
      const candidate = {
        index: start + j,
        iteration: it,
        z: pick.z,
        instruction: pick.text,
        generationMs: pick.generationMs,
      };
      const seen = records.find((r) => r.instruction === pick.text && !r.reused);
      if (seen) return evaluateCandidate(ctx, candidate, seen);
      const first = firstOf.get(pick.text);
      if (first) return evaluateCandidate(ctx, candidate, await first);
      const own = busy.time(() => evaluateCandidate(ctx, candidate, null));
      firstOf.set(pick.text, own);
      return own;
    });
    tasks[j].catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
  };
  const window = scoringWindow(ctx);
  let launched = from;
  for (let j = from; j < size; j++) {
    while (launched < size && launched < j + window && !ctx.signal?.aborted) launch(launched++);
    if (j >= launched) return false;
    const record = await tasks[j];
    if (!record) return false;
    ctx.ledger.appendEvaluation(ctx.runId, record);
    records.push(record);
    onAppend?.();
    ctx.onProgress?.(evaluateEvent(records, config.budget));
  }
  return !ctx.signal?.aborted;
}

/**
 * Candidates scored at once: enough validation queries to fill the black box's concurrency twice
 * over, at least 2.
 */
export function scoringWindow(ctx: MethodContext): number {
  const concurrency = Number(ctx.config.concurrency ?? DEFAULTS.concurrency);
  return Math.max(2, Math.ceil((2 * concurrency) / Math.max(1, ctx.splits.validation.length)));
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
