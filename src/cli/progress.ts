import { SingleBar } from "cli-progress";
import type { ProgressEvent } from "../optimizers/types.js";
import { fmtUsd } from "../util/format.js";

/**
 * Progress display of a run on stderr: a bar (evaluations, best score, calls, cost) on a terminal,
 * a line per batch otherwise (logs, CI). Calls and cost are the run's paid attempts and dollars as its
 * budget counts them (every session; an attempt abandoned at the timeout at its worst case): the same
 * numbers as the spend log and the final totals.
 */
export function createRunProgress(budget: number, batchSize: number) {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({
        format: "{phase} [{bar}] {value}/{total} evals | best {best} | calls {calls} | cost {cost}",
        stream: process.stderr,
        hideCursor: true,
      })
    : null;
  let started = false;
  let spent = { calls: 0, costUsd: 0 };
  const fields = (e: ProgressEvent) => {
    // the run's paid attempts and dollars so far (all sessions, judge included), from its budget
    if (e.spent) spent = e.spent;
    return {
      phase: e.phase.padEnd(8),
      best: e.bestScore === null ? "-" : e.bestScore.toFixed(3),
      calls: spent.calls,
      cost: fmtUsd(spent.costUsd),
    };
  };
  return {
    update(e: ProgressEvent) {
      if (bar) {
        if (!started) {
          bar.start(budget, e.evaluations, fields(e));
          started = true;
        } else bar.update(e.evaluations, fields(e));
        return;
      }
      const f = fields(e);
      if (e.phase === "evaluate" && e.evaluations % batchSize !== 0 && e.evaluations !== budget) return;
      if (e.phase === "generate" || e.phase === "propose") return;
      process.stderr.write(
        `[${e.phase}] ${e.evaluations}/${budget} evals, best ${f.best}, calls ${f.calls}, ${f.cost}\n`,
      );
    },
    stop() {
      if (started) bar?.stop();
    },
  };
}
