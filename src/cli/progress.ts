import { SingleBar } from "cli-progress";
import type { BlackBox } from "../blackbox/types.js";
import type { ProgressEvent } from "../optimizers/types.js";
import { fmtUsd } from "../util/format.js";

/**
 * Progress display of a run on stderr: a bar (evaluations, best score, calls, cost) on a terminal,
 * a line per batch otherwise (logs, CI).
 */
export function createRunProgress(budget: number, blackBox: () => BlackBox | undefined, batchSize: number) {
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
    // the run's paid calls and dollars so far (all sessions, judge included) when the event has them,
    // else this session's black-box totals
    if (e.spent) spent = e.spent;
    const t = blackBox()?.totals();
    const calls = Math.max(spent.calls, t?.requests ?? 0);
    const cost = Math.max(spent.costUsd, t?.costUsd ?? 0);
    return {
      phase: e.phase.padEnd(8),
      best: e.bestScore === null ? "-" : e.bestScore.toFixed(3),
      calls,
      cost: fmtUsd(cost),
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
