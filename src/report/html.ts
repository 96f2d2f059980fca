/**
 * `renderHtmlReport`: one self-contained HTML page for a run — inline CSS and an inline SVG chart,
 * no scripts, fonts, images or any other network reference (a Content-Security-Policy forbids them
 * too). Everything that comes from the task, the models or the config is HTML-escaped.
 */
import { renderChart } from "./chart.js";
import { escapeHtml as esc } from "./escape.js";
import type { ExampleResult, RunExport } from "./export.js";
import { fmtDate, fmtDuration, fmtInt, fmtScore, fmtUsd } from "./format.js";

const CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5f6b7a; --line: #d9dee6; --accent: #2457c5;
  --good: #1e7b3c; --bad: #b3261e; --bg: #ffffff; --soft: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta, .note, footer { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 18px; font-weight: 600; }
.instruction { white-space: pre-wrap; background: var(--soft); border-left: 4px solid var(--accent);
  margin: 0; padding: 10px 14px; font-size: 15px; }
table { border-collapse: collapse; width: 100%; }
#totals-table, #config-table { width: auto; min-width: 50%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: 4px 8px; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { white-space: pre-wrap; word-break: break-word; max-width: 520px; }
td.text div { max-height: 12em; overflow: auto; }
tr.ok td.num:last-child { color: var(--good); }
tr.miss td.num:last-child { color: var(--bad); }
tr.chosen { background: #eef3ff; }
.status-completed { color: var(--good); } .status-failed { color: var(--bad); }
.chart { max-width: 100%; height: auto; }
.chart .grid { stroke: #eceff3; } .chart .axis { stroke: #8a94a3; }
.chart .tick, .chart .label, .chart .iteration-label, .chart .empty { fill: var(--muted); font-size: 11px; }
.chart .iteration-boundary { stroke: #b8c0cc; stroke-dasharray: 4 3; }
.chart .eval-point { fill: #8fa3c4; fill-opacity: 0.75; }
.chart .eval-point.reused { fill: none; stroke: #8fa3c4; }
.chart .best-so-far { fill: none; stroke: var(--accent); stroke-width: 2; }
.legend { color: var(--muted); font-size: 12px; }
.legend .line { display: inline-block; width: 22px; height: 0; border-top: 2px solid var(--accent);
  vertical-align: middle; }
.legend .dot { display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: #8fa3c4;
  vertical-align: middle; margin-left: 14px; }
details summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
`;

const card = (k: string, v: string) =>
  `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`;
const td = (v: string, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${v}</td>`;
const textCell = (v: string | null) => td(v === null ? "<em>-</em>" : `<div>${esc(v)}</div>`, "text");
const numCell = (v: string) => td(esc(v), "num");
const rowClass = (score: number) => (score >= 1 ? "ok" : score <= 0 ? "miss" : "partial");

/** A per-example table (input, expected, output, score; the metric's feedback when there is any). */
function examplesTable(id: string, rows: ExampleResult[]): string {
  const withFeedback = rows.some((r) => r.feedback !== undefined);
  const body = rows
    .map(
      (r, i) =>
        `<tr class="${rowClass(r.score)}">${numCell(String(i + 1))}${textCell(r.input)}${textCell(
          r.answers === null ? null : r.answers.join(" | "),
        )}${textCell(r.output)}${numCell(fmtScore(r.score))}${withFeedback ? textCell(r.feedback ?? null) : ""}</tr>`,
    )
    .join("\n");
  return `<table id="${id}"><thead><tr><th class="num">#</th><th>input</th><th>expected</th><th>output</th><th class="num">score</th>${withFeedback ? "<th>feedback</th>" : ""}</tr></thead>
<tbody>
${body}
</tbody></table>`;
}

/** The HTML page for an exported run (a complete document, UTF-8). */
export function renderHtmlReport(run: RunExport): string {
  const { config, summary, totals, best } = run;
  const title = `instructzero · ${config.task} · ${run.run.id}`;

  const cards = [
    card("best validation score", fmtScore(summary.bestScore)),
    card("test score", fmtScore(summary.testScore)),
    card("evaluations", `${fmtInt(summary.evaluations)} / ${fmtInt(config.budget)}`),
    card("distinct instructions", fmtInt(summary.distinctInstructions)),
    card("black-box calls", fmtInt(totals.calls)),
    card("tokens in / out", `${fmtInt(totals.inputTokens)} / ${fmtInt(totals.outputTokens)}`),
    card("cost", fmtUsd(totals.totalCostUsd ?? totals.costUsd)),
    ...(totals.judgeCalls !== undefined
      ? [card("judge calls / cost", `${fmtInt(totals.judgeCalls)} / ${fmtUsd(totals.judgeCostUsd ?? 0)}`)]
      : []),
    card("wall time", fmtDuration(totals.wallMs)),
  ].join("\n");

  const chart = renderChart({
    scores: run.evaluations.map((e) => e.score),
    bestSoFar: run.bestSoFar,
    iterations: run.evaluations.map((e) => e.iteration),
    reused: run.evaluations.map((e) => e.reused),
  });

  const instructionRows = run.instructions
    .map(
      (s, rank) =>
        `<tr${s.firstIndex === summary.bestIndex ? ' class="chosen"' : ""}>${numCell(String(rank + 1))}${numCell(
          fmtScore(s.score),
        )}${textCell(s.instruction)}${numCell(String(s.firstIndex))}${numCell(String(s.iteration))}${numCell(
          String(s.proposals),
        )}</tr>`,
    )
    .join("\n");

  const evaluationRows = run.evaluations
    .map(
      (e, i) =>
        `<tr>${numCell(String(e.index))}${numCell(String(e.iteration))}${numCell(fmtScore(e.score))}${numCell(
          fmtScore(run.bestSoFar[i]),
        )}${td(e.reused ? "yes" : "")}${numCell(fmtInt(e.calls))}${numCell(fmtUsd(e.costUsd))}${textCell(
          e.instruction,
        )}</tr>`,
    )
    .join("\n");

  const configRows = Object.entries(config)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${esc(k)}</th>${textCell(typeof v === "string" ? v : JSON.stringify(v))}</tr>`)
    .join("\n");

  const totalRows = Object.entries(totals)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const shown = k === "costUsd" ? fmtUsd(v) : /Ms$/.test(k) ? fmtDuration(v) : fmtInt(v);
      return `<tr><th>${esc(k)}</th>${numCell(shown)}</tr>`;
    })
    .join("\n");

  const bestSection = best
    ? `<blockquote class="instruction" id="best-instruction">${esc(best.instruction)}</blockquote>
<p class="note">Evaluation ${best.index} (iteration ${best.iteration}), validation score ${esc(fmtScore(best.score))}${
        best.test ? `, test score ${esc(fmtScore(best.test.score))}` : ""
      }.</p>`
    : `<p class="note">No evaluation recorded yet.</p>`;

  const validationSection = best
    ? examplesTable("validation-examples", best.validation)
    : `<p class="note">No evaluation recorded yet.</p>`;
  const testSection = best?.test
    ? examplesTable("test-examples", best.test.examples)
    : `<p class="note">No test score recorded${run.run.status === "completed" ? "" : " (the run has not completed)"}.</p>`;

  const statusText = run.run.statusMessage ? `${run.run.status}: ${run.run.statusMessage}` : run.run.status;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Run ${esc(run.run.id)}</h1>
<p class="meta">task <strong>${esc(config.task)}</strong> · method <strong>${esc(config.method)}</strong> · target <strong>${esc(
    config.target,
  )}</strong>${config.generator ? ` · generator <strong>${esc(config.generator)}</strong>` : ""} · seed ${esc(
    String(config.seed),
  )}<br>status <strong class="status-${esc(run.run.status)}">${esc(statusText)}</strong> · created ${esc(
    fmtDate(run.run.createdAt),
  )}${run.run.finishedAt ? ` · finished ${esc(fmtDate(run.run.finishedAt))}` : ""}</p>
</header>
<section id="summary"><div class="cards">
${cards}
</div></section>
<section id="best"><h2>Best instruction</h2>
${bestSection}
</section>
<section id="progress"><h2>Best score so far</h2>
${chart}
<p class="legend"><span class="line"></span> best validation score so far <span class="dot"></span> score of each evaluation (hollow: reused, not re-queried) · dashed lines separate iterations</p>
</section>
<section id="instructions"><h2>All instructions (${esc(fmtInt(summary.distinctInstructions))} distinct, best first)</h2>
<table id="instruction-table"><thead><tr><th class="num">rank</th><th class="num">score</th><th>instruction</th><th class="num">first eval</th><th class="num">iteration</th><th class="num">proposed</th></tr></thead>
<tbody>
${instructionRows}
</tbody></table>
<details><summary>Every evaluation (${esc(fmtInt(summary.evaluations))})</summary>
<table id="evaluation-table"><thead><tr><th class="num">index</th><th class="num">iteration</th><th class="num">score</th><th class="num">best so far</th><th>reused</th><th class="num">calls</th><th class="num">cost</th><th>instruction</th></tr></thead>
<tbody>
${evaluationRows}
</tbody></table>
</details>
</section>
<section id="validation"><h2>Best instruction on the validation examples</h2>
${validationSection}
</section>
<section id="test"><h2>Best instruction on the test examples</h2>
${testSection}
</section>
<section id="cost"><h2>Totals and cost</h2>
<p class="note">${run.totalsSource === "final" ? "Final totals of the run (validation and test)." : "Sums over the recorded evaluations (the run has not completed)."}</p>
<table id="totals-table"><tbody>
${totalRows}
</tbody></table>
</section>
<section id="config"><h2>Configuration</h2>
<table id="config-table"><tbody>
${configRows}
</tbody></table>
</section>
<footer><p>${esc(run.producer)} · ${esc(run.format)} format v${esc(String(run.formatVersion))} · ledger run ${esc(run.run.id)}</p></footer>
</body>
</html>
`;
}
