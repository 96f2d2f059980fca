/** Plain-text views of runs for the terminal (`instructzero runs` and `instructzero show`). */

import type { RunSummary } from "../store/types.js";
import { fmtDate, fmtDuration, fmtInt, fmtScore, fmtUsd, oneLine, terminalSafe } from "../util/format.js";
import { costVerdict } from "./cost-text.js";
import type { RunExport } from "./export.js";

/** Header and rows of the runs table (one row per run, oldest first). */
export function runsTable(runs: RunSummary[]): { header: string[]; rows: string[][] } {
  return {
    header: ["id", "task", "method", "target", "status", "evals", "best val", "test", "cost", "created"],
    rows: runs.map((r) => [
      oneLine(r.id, 40),
      oneLine(r.task, 32),
      r.method,
      oneLine(r.target, 36),
      r.status,
      String(r.evaluations),
      fmtScore(r.bestScore),
      fmtScore(r.testScore),
      fmtUsd(r.costUsd),
      fmtDate(r.createdAt),
    ]),
  };
}

/** A run's details: status, config, best instruction, scores, totals and the `top` best instructions. */
export function formatRunDetails(run: RunExport, top = 10): string {
  const { config, summary, totals, best } = run;
  const out: string[] = [];
  const status = run.run.statusMessage
    ? `${run.run.status}: ${oneLine(run.run.statusMessage, 200)}`
    : run.run.status;
  out.push(`Run ${run.run.id} (${status})`);
  out.push(`  task       ${oneLine(config.task, 100)}`);
  out.push(`  method     ${config.method}`);
  out.push(`  target     ${oneLine(config.target, 100)}`);
  if (config.generator) out.push(`  generator  ${oneLine(config.generator, 100)}`);
  out.push(
    `  created    ${fmtDate(run.run.createdAt)}${run.run.finishedAt ? `, finished ${fmtDate(run.run.finishedAt)}` : ""}`,
  );
  out.push("");
  if (best) {
    out.push(`Chosen instruction (evaluation ${best.index}, iteration ${best.iteration}):`);
    for (const line of terminalSafe(best.instruction).split("\n")) out.push(`  ${line}`);
    if (best.demos?.length) {
      out.push(`  with ${best.demos.length} demonstration${best.demos.length === 1 ? "" : "s"}:`);
      for (const d of best.demos)
        out.push(`    Input: ${oneLine(d.input, 80)}  Output: ${oneLine(d.output, 60)}`);
    }
    const t = best.test;
    out.push(
      `  validation ${fmtScore(best.score)}` +
        (summary.testScore === null
          ? " (no test score yet)"
          : `, test ${fmtScore(summary.testScore)}${t && t.low !== undefined ? ` (95% CI ${fmtScore(t.low)} to ${fmtScore(t.high)})` : ""}`),
    );
    const sel = run.selection;
    if (sel?.rule === "fresh") {
      const w = sel.candidates.find((c) => c.index === sel.winner);
      out.push(
        `  chosen on ${sel.size} fresh examples: ${fmtScore(w?.score ?? null)} (top ${sel.candidates.length} by validation re-scored)`,
      );
    } else if (sel) out.push("  chosen by the best validation score");
  } else {
    out.push("No evaluation recorded yet.");
  }
  if (run.baselines.length > 0) {
    out.push("");
    out.push("Baselines (validation / test):");
    for (const b of run.baselines) {
      const test = b.test
        ? `${fmtScore(b.test.score)} (95% CI ${fmtScore(b.test.low)} to ${fmtScore(b.test.high)})`
        : "-";
      out.push(
        `  ${b.name.padEnd(18)} ${fmtScore(b.validation.score)} / ${test}${b.instruction ? `  ${oneLine(b.instruction, 70)}` : ""}`,
      );
    }
  }
  if (run.verdict) out.push(`  Verdict: ${run.verdict.text}`);
  for (const c of run.comparisons) out.push(`  verdict: ${c.text}`);
  const chosen = run.best ? run.evaluations.find((e) => e.index === run.best?.index) : undefined;
  const cost = costVerdict(chosen, run.baselines);
  if (cost) out.push(`  cost: ${cost}`);
  if (run.selection?.bestByScore !== undefined)
    out.push(
      `  chosen as the cheaper of the candidates within ${run.config.prefer?.cheaper ?? "?"} of the best (the best score alone: #${run.selection.bestByScore})`,
    );
  for (const n of run.notes) out.push(`  note: ${oneLine(n, 200)}`);
  if (run.transfer.length > 0) {
    out.push("");
    out.push("Transfer (test score on other black boxes):");
    for (const r of run.transfer)
      out.push(
        `  ${oneLine(r.target, 40).padEnd(40)} ${r.name.padEnd(18)} ${fmtScore(r.score)} (${fmtScore(r.low)} to ${fmtScore(r.high)})`,
      );
  }
  out.push("");
  out.push(
    `Evaluations ${summary.evaluations}/${config.budget} (${summary.distinctInstructions} distinct instructions, ` +
      `${summary.reusedEvaluations} reused), iterations ${summary.iterations}`,
  );
  out.push(
    `Black-box calls ${fmtInt(totals.calls)} (cache hits ${fmtInt(totals.cacheHits)}), tokens ${fmtInt(
      totals.inputTokens,
    )} in / ${fmtInt(totals.outputTokens)} out, cost ${fmtUsd(totals.costUsd)}` +
      (totals.wallMs !== undefined ? `, wall time ${fmtDuration(totals.wallMs)}` : ""),
  );
  if (run.instructions.length > 0) {
    const shown = run.instructions.slice(0, top);
    out.push("");
    out.push(`Top instructions (${shown.length} of ${run.instructions.length}):`);
    shown.forEach((s, i) => {
      const times = s.proposals > 1 ? ` x${s.proposals}` : "";
      out.push(
        `  ${String(i + 1).padStart(3)}  ${fmtScore(s.score)}  ${oneLine(s.instruction, 96)}  [eval ${s.firstIndex}${times}]`,
      );
    });
  }
  out.push("");
  out.push("Config:");
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    out.push(`  ${k}: ${oneLine(typeof v === "string" ? v : JSON.stringify(v), 120)}`);
  }
  return `${out.join("\n")}\n`;
}
