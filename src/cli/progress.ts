import { SingleBar } from "cli-progress";
import type { ProgressEvent } from "../optimizers/types.js";
import { fmtUsd } from "../util/format.js";

/**
 * Progress display of a run on stderr: a bar (evaluations, best score, calls, cost) on a terminal,
 * a line per batch otherwise (logs, CI). The phases after the search (select, baselines, test) get
 * their own bar (or lines): the black-box queries answered of the most the phase asks. Calls and cost
 * are the run's paid attempts and dollars as its budget counts them (every session; an attempt
 * abandoned at the timeout at its worst case): the same numbers as the spend log and the final totals.
 */
export function createRunProgress(budget: number, batchSize: number) {
  const tty = Boolean(process.stderr.isTTY);
  const makeBar = (unit: string) =>
    new SingleBar({
      format: `{phase} [{bar}] {value}/{total} ${unit} | best {best} | calls {calls} | cost {cost}`,
      stream: process.stderr,
      hideCursor: true,
    });
  let bar: SingleBar | null = null;
  /** The phase the bar (or the last line) shows: "evaluate" for the search's bar, else a phase's. */
  let shown: string | undefined;
  let lastQuarter = -1;
  let spent = { calls: 0, costUsd: 0 };
  const fields = (e: ProgressEvent) => {
    // the run's paid attempts and dollars so far (all sessions, judge included), from its budget
    if (e.spent) spent = e.spent;
    return {
      phase: e.phase.padEnd(9),
      best: e.bestScore === null ? "-" : e.bestScore.toFixed(3),
      calls: spent.calls,
      cost: fmtUsd(spent.costUsd),
    };
  };
  return {
    update(e: ProgressEvent) {
      const f = fields(e);
      const step = e.step;
      if (tty) {
        const key = step ? e.phase : "search";
        if (shown !== key) {
          bar?.stop();
          bar = makeBar(step ? "queries" : "evals");
          bar.start(step ? Math.max(1, step.total) : budget, step ? step.done : e.evaluations, f);
          shown = key;
        } else {
          // a phase that asked fewer queries than it might have ends with what it asked
          if (step) bar?.setTotal(Math.max(1, step.total));
          bar?.update(step ? step.done : e.evaluations, f);
        }
        return;
      }
      if (step) {
        // a line when the phase starts, at each quarter of it, and at its end
        const quarter = step.total > 0 ? Math.floor((4 * step.done) / step.total) : 4;
        if (shown === e.phase && quarter === lastQuarter) return;
        shown = e.phase;
        lastQuarter = quarter;
        process.stderr.write(
          `[${e.phase}] ${step.done}/${step.total} queries, calls ${f.calls}, ${f.cost}\n`,
        );
        return;
      }
      if (e.phase === "evaluate" && e.evaluations % batchSize !== 0 && e.evaluations !== budget) return;
      if (e.phase === "generate" || e.phase === "propose") return;
      process.stderr.write(
        `[${e.phase}] ${e.evaluations}/${budget} evals, best ${f.best}, calls ${f.calls}, ${f.cost}\n`,
      );
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
