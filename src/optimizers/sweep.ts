/**
 * Sweeps: a grid of (task, method, seed) cells, each an ordinary run (run by src/session/sweep.ts or by
 * queue workers), summarised as mean ± s.e. per task and method, a markdown table and CSV.
 */
import type { RunConfig } from "../store/types.js";
import { taskNameOfFile } from "../tasks/user-file.js";
import type { RunOutcome } from "./outcome.js";

/** One cell of a sweep grid. */
export interface SweepCell {
  task: string;
  method: RunConfig["method"];
  seed: number;
  runId: string;
  status: RunOutcome["status"];
  validation: number | null;
  test: number | null;
  calls: number;
  costUsd: number;
  /** The cell's winner against each baseline on the test split ("better" = a win). */
  comparisons: { baseline: string; verdict: "better" | "worse" | "indistinguishable"; diff: number }[];
}

/** Mean and standard error of the test score over seeds. */
export interface SweepRow {
  task: string;
  method: string;
  n: number;
  mean: number | null;
  se: number | null;
  /** Per baseline: cells whose winner was better (win), not distinguishable (tie) or worse (loss). */
  winTieLoss: Record<string, { win: number; tie: number; loss: number }>;
}

/** The sweep cell of a run's outcome. */
export function sweepCellOf(
  config: RunConfig,
  cell: { task: string; method: RunConfig["method"]; seed: number },
  outcome: RunOutcome,
): SweepCell {
  return {
    task: config.taskFile ? taskNameOfFile(config.taskFile) : cell.task,
    method: cell.method,
    seed: cell.seed,
    runId: outcome.runId,
    status: outcome.status,
    validation: outcome.best?.score ?? null,
    test: outcome.test?.score ?? null,
    calls: outcome.totals.calls,
    costUsd: outcome.totals.costUsd,
    comparisons: (outcome.comparisons ?? []).map((c) => ({
      baseline: c.baseline,
      verdict: c.verdict,
      diff: c.diff,
    })),
  };
}

/** Mean +- standard error of the test score per (task, method). */
export function summarizeSweep(cells: readonly SweepCell[]): SweepRow[] {
  const groups = new Map<string, SweepCell[]>();
  for (const c of cells) {
    const k = `${c.task}\u0000${c.method}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.values()].map((g) => {
    const xs = g.map((c) => c.test).filter((x): x is number => x !== null);
    const n = xs.length;
    const mean = n ? xs.reduce((a, b) => a + b, 0) / n : null;
    const se =
      n > 1 && mean !== null
        ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) / Math.sqrt(n)
        : null;
    const winTieLoss: SweepRow["winTieLoss"] = {};
    for (const c of g)
      for (const x of c.comparisons) {
        winTieLoss[x.baseline] ??= { win: 0, tie: 0, loss: 0 };
        const w = winTieLoss[x.baseline];
        if (x.verdict === "better") w.win++;
        else if (x.verdict === "worse") w.loss++;
        else w.tie++;
      }
    return { task: g[0].task, method: g[0].method, n, mean, se, winTieLoss };
  });
}

function cellText(r: SweepRow | undefined): string {
  if (!r || r.mean === null) return "-";
  return r.se === null ? r.mean.toFixed(3) : `${r.mean.toFixed(3)} ± ${r.se.toFixed(3)}`;
}

/** A markdown table like the paper's: one row per task, one column per method, plus the average. */
export function sweepMarkdown(rows: readonly SweepRow[], methods: readonly string[]): string {
  const tasks = [...new Set(rows.map((r) => r.task))];
  const find = (t: string, m: string) => rows.find((r) => r.task === t && r.method === m);
  const lines = [`| task | ${methods.join(" | ")} |`, `| --- | ${methods.map(() => "---").join(" | ")} |`];
  for (const t of tasks) lines.push(`| ${t} | ${methods.map((m) => cellText(find(t, m))).join(" | ")} |`);
  const avg = methods.map((m) => {
    const xs = tasks.map((t) => find(t, m)?.mean).filter((x): x is number => x !== null && x !== undefined);
    return xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3) : "-";
  });
  lines.push(`| **average** | ${avg.join(" | ")} |`);
  // win / tie / loss of each method's winners against each baseline (paired test, 95%)
  const baselines = [...new Set(rows.flatMap((r) => Object.keys(r.winTieLoss)))];
  if (baselines.length > 0) {
    lines.push("");
    lines.push(`| method | ${baselines.map((b) => `vs ${b} (win/tie/loss)`).join(" | ")} |`);
    lines.push(`| --- | ${baselines.map(() => "---").join(" | ")} |`);
    for (const m of methods) {
      const cells = baselines.map((b) => {
        const t = { win: 0, tie: 0, loss: 0 };
        for (const r of rows.filter((x) => x.method === m)) {
          const w = r.winTieLoss[b];
          if (w) {
            t.win += w.win;
            t.tie += w.tie;
            t.loss += w.loss;
          }
        }
        return `${t.win}/${t.tie}/${t.loss}`;
      });
      lines.push(`| ${m} | ${cells.join(" | ")} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Every cell as CSV. */
export function sweepCsv(cells: readonly SweepCell[]): string {
  const header = "task,method,seed,run_id,status,validation,test,calls,cost_usd";
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return `${[
    header,
    ...cells.map((c) =>
      [
        q(c.task),
        c.method,
        c.seed,
        c.runId,
        c.status,
        c.validation ?? "",
        c.test ?? "",
        c.calls,
        c.costUsd.toFixed(6),
      ].join(","),
    ),
  ].join("\n")}\n`;
}
