/**
 * The baselines a joint (soft prompt, demonstration set) search adds to the verdict (`demoSearch`):
 * the chosen instruction zero-shot, and the chosen instruction with K demonstrations drawn at random
 * (seeded) from the demo pool. They say how much of the winner's score its demonstration set earns.
 */
import type { EvaluationRecord } from "../store/types.js";
import type { Demo } from "../tasks/types.js";
import { Rng, seedFor } from "../util/rng.js";
import type { baselineList } from "./phases/baselines.js";
import { searchesDemos } from "./soft-prompt/demo-set.js";
import type { MethodContext } from "./types.js";

/** How many baselines {@link demoBaselines} adds for a configuration (for budgets and plans). */
export function demoBaselineCount(config: { demoSearch?: boolean; targetDemos?: number }): number {
  return config.demoSearch && (config.targetDemos ?? 0) > 0 ? 2 : 0;
}

/** K demonstrations of `pool` at random (seeded by the run's seed), in pool order. */
export function randomDemos(pool: readonly Demo[], k: number, seed: number): Demo[] {
  const picked = new Set(new Rng(seedFor(seed, "random-demos")).shuffled(pool.map((_, i) => i)).slice(0, k));
  return pool.filter((_, i) => picked.has(i));
}

/** The demo-search baselines of `winner` (none when the run does not search demonstration sets). */
export function demoBaselines(ctx: MethodContext, winner: EvaluationRecord): ReturnType<typeof baselineList> {
  if (!searchesDemos(ctx)) return [];
  const k = ctx.targetDemos!.length;
  return [
    { name: "winner zero-shot", kind: "zero-shot", instruction: winner.instruction, demos: [] },
    {
      name: `winner + ${k} random demos`,
      kind: "random-demos",
      instruction: winner.instruction,
      demos: randomDemos(ctx.demoPool!, k, ctx.config.seed),
    },
  ];
}
