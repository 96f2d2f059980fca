/**
 * Joint search of (soft prompt, demonstration set) pairs (`demoSearch`): the searched point is
 * x = [z, w], z in [-1, 1]^intrinsicDim the soft prompt (what the generator sees), w in [-1, 1]^P one
 * coordinate per demonstration of the demo pool (P demonstrations). The demonstration set of x is the
 * K pool demonstrations with the largest w (ties: the lower pool index), shown in pool order.
 *
 * The surrogate is the run's own Gaussian process over x (src/bo: the instruction-coupled kernel, a
 * Matern-5/2 ARD kernel over the whole point coupled through the per-example score vectors), so what
 * the answers reveal is shared across both parts: two candidates with near soft prompts and
 * overlapping demonstration sets are close in the kernel, and candidates whose answers agree example
 * by example are coupled whatever their parts. The demonstration set enters through this continuous
 * relaxation (a point's top-K coordinates), so batch Expected Improvement maximised by CMA-ES, the
 * initial Sobol design, `uniform` draws, racing, fresh selection and the checkpoints (the batch's
 * points are stored before use, the set is a function of the point) work unchanged: resume is exact.
 */
import type { Demo } from "../../tasks/types.js";
import type { MethodContext } from "../types.js";

/** True when the run searches demonstration sets jointly with the soft prompt. */
export function searchesDemos(ctx: MethodContext): boolean {
  return (
    ctx.config.demoSearch === true && (ctx.demoPool?.length ?? 0) > 0 && (ctx.targetDemos?.length ?? 0) > 0
  );
}

/** Dimension of the searched point: the soft prompt's, plus one per pool demonstration with `demoSearch`. */
export function searchDim(ctx: MethodContext): number {
  return ctx.config.intrinsicDim + (searchesDemos(ctx) ? ctx.demoPool!.length : 0);
}

/** The soft prompt of a searched point (its first intrinsicDim coordinates). */
export function softPromptOf(ctx: MethodContext, x: readonly number[]): number[] {
  return x.slice(0, ctx.config.intrinsicDim);
}

/**
 * The demonstration set of a searched point: the `k` pool demonstrations with the largest coordinates
 * of `w` (ties: the lower index), in pool order.
 */
export function topK(w: readonly number[], k: number): number[] {
  return w
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

/** The demonstrations of a searched point (`demoSearch`), or undefined (the run's fixed ones). */
export function demoSetOf(ctx: MethodContext, x: readonly number[]): Demo[] | undefined {
  if (!searchesDemos(ctx)) return undefined;
  const d = ctx.config.intrinsicDim;
  const pool = ctx.demoPool!;
  return topK(x.slice(d, d + pool.length), ctx.targetDemos!.length).map((i) => pool[i]);
}

/** A key naming a prompt (instruction and demonstrations), to find the same prompt scored earlier. */
export function promptKey(instruction: string, demos: readonly Demo[] | undefined): string {
  return demos ? JSON.stringify([instruction, demos]) : instruction;
}
