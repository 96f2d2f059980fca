/**
 * Compare runs side by side (typically the same task with other methods, seeds or black boxes): their
 * scores with intervals, calls, dollars and times, the best-so-far charts, and the chosen instructions.
 */
import { intervalBar } from "../../report/charts/interval.js";
import { escapeHtml as esc } from "../../report/escape.js";
import type { RunExport } from "../../report/export.js";
import { runProgressChart } from "../../report/run-charts.js";
import type { RunSummary } from "../../store/types.js";
import { fmtDate, fmtDuration, fmtInt, fmtScore, fmtUsd } from "../../util/format.js";
import { type PageContext, uiPage } from "./layout.js";

/** The compare page: the picker when fewer than two runs are given, else the comparison. */
export function renderComparePage(ctx: PageContext, o: { runs: RunExport[]; recent: RunSummary[] }): string {
  const picker = `<form method="get" action="/compare" id="compare-picker"><p class="note">Tick two or more runs (the runs page has the same boxes).</p>
<div class="scroll"><table><thead><tr><th></th><th>run</th><th>task</th><th>method</th><th>black box</th><th>status</th><th class="num">best validation</th><th class="num">test</th></tr></thead><tbody>
${o.recent
  .map(
    (r) =>
      `<tr><td><input type="checkbox" name="run" value="${esc(r.id)}"${o.runs.some((x) => x.run.id === r.id) ? " checked" : ""} aria-label="compare ${esc(
        r.id,
      )}"></td><td>${esc(r.id)}</td><td>${esc(r.task)}</td><td>${esc(r.method)}</td><td>${esc(r.target)}</td><td>${esc(
        r.status,
      )}</td><td class="num">${esc(fmtScore(r.bestScore))}</td><td class="num">${esc(fmtScore(r.testScore))}</td></tr>`,
  )
  .join("\n")}
</tbody></table></div><button type="submit">compare</button></form>`;
  if (o.runs.length < 2) {
    return uiPage(ctx, {
      title: "instructzero · compare",
      body: `<header><h1>Compare runs</h1></header>${picker}`,
      active: "compare",
    });
  }
  const tasks = new Set(o.runs.map((r) => r.config.task));
  const warn =
    tasks.size > 1
      ? `<p class="callout" id="compare-tasks">These runs are on different tasks (${esc([...tasks].join(", "))}): their scores are not comparable.</p>`
      : "";
  const head = o.runs
    .map((r) => `<th><a href="/runs/${esc(encodeURIComponent(r.run.id))}">${esc(r.run.id)}</a></th>`)
    .join("");
  const row = (label: string, cell: (r: RunExport) => string, cls = "") =>
    `<tr><th>${esc(label)}</th>${o.runs.map((r) => `<td class="${cls}">${cell(r)}</td>`).join("")}</tr>`;
  const scores = o.runs.flatMap((r) => [r.summary.bestScore ?? 0, r.best?.test?.score ?? 0]);
  const min = Math.min(0, ...scores);
  const max = Math.max(1, ...scores);
  const table = `<div class="scroll"><table id="compare-table"><thead><tr><th></th>${head}</tr></thead><tbody>
${row("task", (r) => esc(r.config.task))}
${row("method", (r) => esc(r.config.method))}
${row("black box", (r) => esc(r.config.target))}
${row("seed", (r) => esc(String(r.config.seed)))}
${row("status", (r) => `<span class="status status-${esc(r.run.status)}">${esc(r.run.status)}</span>`)}
${row("evaluations", (r) => `${esc(fmtInt(r.summary.evaluations))} / ${esc(fmtInt(r.config.budget))}`, "num")}
${row("chosen: validation score", (r) => esc(fmtScore(r.summary.bestScore)), "num")}
${row(
  "test score (95% CI)",
  (r) =>
    r.best?.test
      ? `${esc(fmtScore(r.best.test.score))}${
          r.best.test.low !== undefined && r.best.test.high !== undefined
            ? ` (${esc(fmtScore(r.best.test.low))} to ${esc(fmtScore(r.best.test.high))})`
            : ""
        }<br>${intervalBar(r.best.test, { min, max, width: 160, label: esc(`${r.run.id} test score`) })}`
      : "-",
  "num test-score",
)}
${row("against the baselines", (r) =>
  r.comparisons.length > 0
    ? r.comparisons
        .map((c) => `<div class="verdict-${esc(c.verdict)}">${esc(c.baseline)}: ${esc(c.verdict)}</div>`)
        .join("")
    : "-",
)}
${row("black-box calls", (r) => esc(fmtInt(r.totals.calls)), "num")}
${row("dollars", (r) => esc(fmtUsd(r.totals.totalCostUsd ?? r.totals.costUsd)), "num")}
${row("wall time", (r) => esc(fmtDuration(r.totals.wallMs)), "num")}
${row("started", (r) => esc(fmtDate(r.run.createdAt)))}
</tbody></table></div>`;
  const instructions = `<div class="side-by-side" id="compare-instructions">${o.runs
    .map(
      (r) =>
        `<div class="side"><h3>${esc(r.run.id)}</h3><p class="meta">${esc(r.config.method)} · ${esc(r.config.target)} · seed ${esc(
          String(r.config.seed),
        )}</p><blockquote class="instruction">${r.best ? esc(r.best.instruction) : "<em>no evaluation yet</em>"}</blockquote></div>`,
    )
    .join("\n")}</div>`;
  const charts = o.runs
    .map(
      (r) =>
        `<div class="compare-chart"><h3>${esc(r.run.id)} · ${esc(r.config.method)}</h3>${runProgressChart(
          r.evaluations,
          r.baselines.map((b) => ({ name: b.name, score: b.validation.score })),
          r.bestSoFar,
        ).replace(/ id="progress-chart"/, "")}</div>`,
    )
    .join("\n");
  const body = `<header><h1>Compare ${esc(fmtInt(o.runs.length))} runs</h1></header>
${warn}
<section id="compare-scores"><h2>Scores, calls and dollars</h2>${table}</section>
<section id="compare-chosen"><h2>The chosen instructions</h2>${instructions}</section>
<section id="compare-progress"><h2>Best score so far</h2>${charts}</section>
<details><summary>pick other runs</summary>${picker}</details>`;
  return uiPage(ctx, { title: "instructzero · compare", body, active: "compare" });
}
