/** A synthetic sweep (no runs needed) whose task and baseline names carry HTML-injection payloads. */
import type { SweepCell } from "../../src/optimizers/sweep.js";
import { PAYLOADS } from "./fixture.js";

/** Tasks of the sweep: a plain one and one named with a payload. */
export const SWEEP_TASKS = ["antonyms", `my-task ${PAYLOADS.script}`];
/** Methods, in the order given to the renderer. */
export const SWEEP_METHODS = ["instructzero", "uniform", "ape"] as const;
/** The user's baseline (a payload in its name). */
export const USER_BASELINE = `your baseline ${PAYLOADS.img}`;

/**
 * 2 tasks x 3 methods x 3 seeds. Test scores: instructzero 0.7/0.8/0.9, uniform 0.5/0.6/0.7, ape
 * 0.4/0.5 and one failed seed (no test score). Against "no instruction" instructzero wins every seed,
 * uniform wins seed 0 and ties the others, ape loses seed 0 and ties seed 1; against the user's baseline
 * every seed ties (only on the first task: the second has no such baseline).
 */
export function makeSweepCells(): SweepCell[] {
  const cells: SweepCell[] = [];
  const tests: Record<string, (number | null)[]> = {
    instructzero: [0.7, 0.8, 0.9],
    uniform: [0.5, 0.6, 0.7],
    ape: [0.4, 0.5, null],
  };
  SWEEP_TASKS.forEach((task, ti) => {
    for (const method of SWEEP_METHODS) {
      for (const seed of [0, 1, 2]) {
        const test = tests[method][seed];
        const verdict: "better" | "worse" | "indistinguishable" =
          method === "instructzero" || (method === "uniform" && seed === 0)
            ? "better"
            : method === "ape" && seed === 0
              ? "worse"
              : "indistinguishable";
        cells.push({
          task,
          method,
          seed,
          runId: `${method}-${ti}${seed}0000`,
          status: test === null ? "failed" : "completed",
          validation: test === null ? null : Math.min(1, test + 0.1),
          test,
          calls: 100,
          costUsd: 0.01,
          comparisons:
            test === null
              ? []
              : [
                  {
                    baseline: "no instruction",
                    verdict,
                    diff: verdict === "better" ? 0.3 : verdict === "worse" ? -0.3 : 0.05,
                  },
                  ...(ti === 0
                    ? [{ baseline: USER_BASELINE, verdict: "indistinguishable" as const, diff: 0 }]
                    : []),
                ],
        });
      }
    }
  });
  return cells;
}
