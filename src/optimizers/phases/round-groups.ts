/**
 * The batch groups of a selection race's round (phases/selection.ts): the queries of the candidates
 * still in the race go out together, so a local black box decodes them in full batches instead of one
 * candidate's block of 5 at a time. A group is sent whole and only when every member fits the local
 * batch and the concurrency limit at once, so its batches, hence a quantised model's answers, do not
 * depend on timing; the groups of a round are sent one after the other. Other black boxes ignore
 * batch groups: all of a round goes out at once.
 */
import { LOCAL_BATCH_SIZE } from "../../generator/batch-limits.js";
import type { MethodContext } from "../types.js";

/** The largest batch group of a round for this run's black box (Infinity: no limit, not local). */
export function roundGroupCap(ctx: MethodContext): number {
  if (!ctx.config.target.startsWith("local:")) return Number.POSITIVE_INFINITY;
  return Math.min(LOCAL_BATCH_SIZE, Number(ctx.config.concurrency ?? LOCAL_BATCH_SIZE));
}

/**
 * Consecutive candidates (their query counts `sizes`, in race order) cut into groups whose counts sum to
 * at most `cap`; a candidate larger than `cap` forms a group alone. Returns the candidates' positions.
 */
export function roundGroups(sizes: readonly number[], cap: number): number[][] {
  const groups: number[][] = [];
  let sum = 0;
  for (const [k, n] of sizes.entries()) {
    const last = groups[groups.length - 1];
    if (last && sum + n <= cap) {
      last.push(k);
      sum += n;
    } else {
      groups.push([k]);
      sum = n;
    }
  }
  return groups;
}
