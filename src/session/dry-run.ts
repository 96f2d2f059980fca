/**
 * The dry run of a run: what it will spend at most, from the same layout (splits, demos, selection
 * split, baselines) the run derives (layoutRun), so the plan matches the run.
 */
import type { RunConfig } from "../config/schema.js";
import { planRun, type RunPlan } from "../optimizers/plan.js";
import { layoutRun } from "../optimizers/run-layout.js";
import type { Task } from "../tasks/types.js";

/** A run's plan and what the user should know about its data. */
export interface DryRunPlan {
  plan: RunPlan;
  notes: string[];
}

/** Plan a run of `config` on `task` (loaded by loadRunTaskForPlan); nothing is opened or spent. */
export function planDryRun(config: RunConfig, task: Task): DryRunPlan {
  const layout = layoutRun(config, task);
  const plan = planRun(config, layout, { skipTest: !config.test });
  const notes = [...layout.notes, ...(layout.selection.note ? [layout.selection.note] : [])];
  return { plan, notes };
}
