/**
 * The phases after the search (init candidates, selection, baselines, test) run one after another on
 * what the budget kept for them: a limit stops the phase it hits and the ones after it (the run then
 * ends with what it has); Ctrl-C (RunInterrupted) and errors go through.
 */
import { BudgetExhausted, type RunBudget, RunInterrupted } from "../budget.js";

/** Runs the phases after the search and remembers why a limit stopped them. */
export class PhaseRunner {
  /** Why a limit stopped a phase (then every later phase is skipped). */
  stopReason: string | undefined;

  constructor(private readonly budget: RunBudget) {}

  /** Run a phase; false when a limit stopped it (or an earlier one). */
  async run(name: string, work: () => Promise<void>): Promise<boolean> {
    if (this.stopReason) return false;
    this.budget.phase = name;
    try {
      await work();
      return true;
    } catch (err) {
      if (err instanceof RunInterrupted) throw err;
      if (!(err instanceof BudgetExhausted)) throw err;
      this.stopReason = `${err.reason}; stopped in the ${name} phase`;
      return false;
    }
  }
}
