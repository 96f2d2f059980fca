import { SingleBar } from "cli-progress";
import type { BlackBox } from "../blackbox/types.js";
import type { ProgressEvent } from "../optimizers/types.js";

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
  const fields = (e: ProgressEvent) => {
    const t = blackBox()?.totals();
    return {
      phase: e.phase.padEnd(8),
      best: e.bestScore === null ? "-" : e.bestScore.toFixed(3),
      calls: t ? t.requests : 0,
      cost: `$${t ? t.costUsd.toFixed(4) : "0.0000"}`,
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
