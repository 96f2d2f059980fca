/**
 * `renderHtmlReport`: one self-contained HTML page for a run — inline CSS and inline SVG charts, no
 * scripts, fonts, images or any other network reference (a Content-Security-Policy forbids them too).
 * Everything that comes from the task, the models or the config is HTML-escaped.
 *
 * Sections: headline numbers; the verdict against the baselines (in words, and as cards with 95%
 * intervals); notes; the chosen instruction and how it was chosen; the best-so-far chart (baselines as
 * lines); the score distribution per iteration; the selection split's scores; an example x instruction
 * heatmap of the top 10; every instruction and evaluation; a migration's old candidates on the new
 * model; transfer to other black boxes; the chosen
 * instruction's per-example results; cumulative cost and totals; the configuration.
 */

import type { BaselineResult, Comparison } from "../optimizers/phases/results-types.js";
import type { EvaluationRecord } from "../store/types.js";
import { fmtDate, fmtDuration, fmtInt, fmtScore, fmtUsd } from "../util/format.js";
import { FRONT_CSS } from "./charts/front.js";
import { type HeatmapColumn, heatmapCss, instructionTags, renderHeatmap } from "./charts/heatmap.js";
import { intervalBar } from "./charts/interval.js";
import { similarityCss } from "./charts/similarity.js";
import { costVerdict } from "./cost-text.js";
import { escapeHtml as esc } from "./escape.js";
import type { ExampleResult, RunExport } from "./export.js";
import { configRows, totalsRows } from "./labels.js";
import { oldCandidatesSection } from "./old-candidates-html.js";
import { BASE_CSS, htmlPage } from "./page.js";
import {
  runCostChart,
  runDistributionChart,
  runFrontChart,
  runProgressChart,
  runSimilarityMap,
  SIMILARITY_TOP,
} from "./run-charts.js";

/** Instructions shown in the heatmap. */
export const HEATMAP_TOP = 10;

/** The run report's styles (the live run page of `instructzero ui` uses them too). */
export const RUN_REPORT_CSS = `${BASE_CSS}
.instruction { white-space: pre-wrap; background: var(--soft); border-left: 4px solid var(--accent);
  margin: 0; padding: 10px 14px; font-size: 15px; }
#totals-table, #config-table { width: auto; min-width: 50%; }
#config-table tr.section th { background: none; border-bottom: 2px solid var(--line); padding-top: 12px; }
#config-table th.label { font-weight: normal; background: none; }
tr.ok td.num:last-child { color: var(--good); }
tr.miss td.num:last-child { color: var(--bad); }
tr.chosen, tr.chosen th.instr { background: #eef3ff; }
.status-completed { color: var(--good); } .status-failed { color: var(--bad); }
.chart .iteration-boundary { stroke: #b8c0cc; stroke-dasharray: 4 3; }
.chart .eval-point { fill: #8fa3c4; fill-opacity: 0.75; }
.chart .eval-point.reused { fill: none; stroke: #8fa3c4; }
.chart .eval-point.init { fill: var(--init); fill-opacity: 0.9; }
.chart .eval-point.empty-instruction { fill: none; stroke: var(--bad); }
.chart .best-so-far { fill: none; stroke: var(--accent); stroke-width: 2; }
.chart .baseline-line { stroke: var(--base); stroke-width: 1.5; stroke-dasharray: 7 4; }
.chart .baseline-label { fill: var(--base); font-size: 12px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.chart .dist-box { fill: #dfe7f5; stroke: #8fa3c4; }
.chart .dist-median { stroke: var(--accent); stroke-width: 2; }
.chart .dist-whisker { stroke: #8fa3c4; }
.chart .dist-point { fill: var(--accent); fill-opacity: 0.45; }
.chart .dist-point.reused { fill: none; stroke: var(--accent); stroke-opacity: 0.45; }
.chart .cost-total, .chart .calls-total { fill: none; stroke: var(--accent); stroke-width: 2; }
.chart .cost-blackbox { fill: none; stroke: #8fa3c4; stroke-width: 1.5; stroke-dasharray: 5 3; }
.legend { color: var(--muted); font-size: 12px; }
.legend .line { display: inline-block; width: 22px; height: 0; border-top: 2px solid var(--accent);
  vertical-align: middle; }
.legend .line.base { border-top: 2px dashed var(--base); margin-left: 14px; }
.legend .dot { display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: #8fa3c4;
  vertical-align: middle; margin-left: 14px; }
.legend .dot.init { background: var(--init); }
ul.verdicts { list-style: none; padding: 0; margin: 0 0 12px; font-size: 15px; }
ul.verdicts li { margin: 2px 0; }
ul.verdicts li::before { content: "■ "; }
.callout { background: #fff6e5; border-left: 4px solid var(--base); padding: 6px 12px; margin: 8px 0; }
ul.notes { margin: 6px 0; padding-left: 20px; color: var(--muted); }
#baseline-cards { grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); }
.card.winner { border-color: var(--accent); background: #eef3ff; }
.card .sub { color: var(--muted); font-size: 12px; }
.card .instr { font-size: 12px; white-space: pre-wrap; word-break: break-word; max-height: 5.5em; overflow: auto;
  margin-top: 4px; border-top: 1px solid var(--line); padding-top: 4px; }
.tag { display: inline-block; font-size: 11px; line-height: 1.3; border-radius: 3px; padding: 0 5px; margin-right: 5px;
  font-weight: 600; vertical-align: 1px; }
.tag-winner { background: var(--accent); color: #fff; }
.tag-init { background: #fbe3c8; color: #7a4100; }
.tag-empty { background: #f6d6d3; color: var(--bad); }
.heatmap { width: auto; border-collapse: separate; border-spacing: 0; }
.heatmap th, .heatmap td { border-bottom: 1px solid #fff; }
.heatmap td.cell { min-width: 26px; text-align: center; vertical-align: middle; font-size: 11px; padding: 3px 2px;
  font-variant-numeric: tabular-nums; border-right: 1px solid #fff; }
.heatmap td.cell.none { background: var(--soft); color: var(--muted); }
.heatmap th.col { text-align: center; font-size: 11px; font-weight: normal; color: var(--muted); padding: 3px 2px; }
.heatmap th.instr { position: sticky; left: 0; z-index: 1; background: var(--bg); font-weight: normal;
  min-width: 280px; max-width: 380px; border-right: 1px solid var(--line); font-size: 13px; }
.heatmap thead th.instr, .heatmap tfoot th.instr { background: var(--soft); }
.heatmap .rank { color: var(--muted); font-variant-numeric: tabular-nums; }
.heatmap-scroll { border: 1px solid var(--line); }
${heatmapCss()}
${similarityCss()}
${FRONT_CSS}
`;

const card = (k: string, v: string, sub?: string) =>
  `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div>${
    sub ? `<div class="sub">${esc(sub)}</div>` : ""
  }</div>`;
const td = (v: string, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${v}</td>`;
const textCell = (v: string | null) => td(v === null ? "<em>-</em>" : `<div>${esc(v)}</div>`, "text");
const numCell = (v: string) => td(esc(v), "num");
const rowClass = (score: number) => (score >= 1 ? "ok" : score <= 0 ? "miss" : "partial");
/** "0.500 (95% CI 0.300 to 0.700)", or the score alone without an interval. */
const withCi = (score: number, low?: number | null, high?: number | null) =>
  low != null && high != null
    ? `${fmtScore(score)} (95% CI ${fmtScore(low)} to ${fmtScore(high)})`
    : fmtScore(score);

/** An instruction cell: tags (winner, extra candidate, empty) and the text. */
function instructionCell(text: string, tags: { chosen?: boolean; init?: boolean; empty?: boolean }): string {
  const shown = tags.empty || text.trim() === "" ? "<em>(empty instruction)</em>" : esc(text);
  return td(`<div>${instructionTags(tags)}${shown}</div>`, "text");
}

/** A per-example table (input, expected, output, score; the metric's feedback when there is any). */
export function examplesTable(id: string, rows: ExampleResult[]): string {
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

const KIND_TEXT: Record<BaselineResult["kind"], string> = {
  none: "the black box without any instruction",
  human: "the task's human-written instruction",
  user: "your own instruction",
  "zero-shot": "the chosen instruction without demonstrations",
  "random-demos": "the chosen instruction with random demonstrations of the demo pool",
};

/** The verdict section: the comparisons in words, then the winner's and each baseline's test card. */
function verdictSection(run: RunExport): string {
  const { best, baselines, comparisons } = run;
  if (baselines.length === 0 && comparisons.length === 0 && !best?.test) return "";
  const ship = run.verdict
    ? `<p class="ship ship-${esc(run.verdict.verdict.replace(/[^a-z]+/g, "-"))}" id="ship-verdict"><b>Verdict:</b> ${esc(run.verdict.text)}.</p>\n`
    : "";
  const verdicts =
    ship +
    (comparisons.length > 0
      ? `<ul class="verdicts" id="verdicts">${comparisons
          .map((c) => `<li class="verdict-${esc(c.verdict)}">The chosen instruction is ${esc(c.text)}.</li>`)
          .join("\n")}</ul>`
      : baselines.length > 0
        ? `<p class="note">No paired comparison with the baselines${best?.test ? "" : " (the chosen instruction has no test score)"}.</p>`
        : "");
  const cards: string[] = [];
  if (best?.test) {
    const t = best.test;
    cards.push(`<div class="card winner" id="winner-card"><div class="k">chosen instruction · test score</div>
<div class="v">${esc(fmtScore(t.score))}</div>
<div class="sub">${t.low !== undefined && t.high !== undefined ? `95% CI ${esc(fmtScore(t.low))} to ${esc(fmtScore(t.high))}` : "no interval recorded"} · ${esc(fmtInt(t.examples.length))} test examples</div>
${intervalBar(t, { width: 200, label: esc(`chosen instruction: ${withCi(t.score, t.low, t.high)}`) })}
<div class="sub">validation ${esc(fmtScore(best.score))}</div></div>`);
  }
  for (const b of baselines)
    cards.push(
      baselineCard(
        b,
        comparisons.find((c) => c.baseline === b.name),
      ),
    );
  const chosen = best ? run.evaluations.find((e) => e.index === best.index) : undefined;
  const cost = costVerdict(chosen, baselines);
  return `<section id="verdict"><h2>Against the baselines (test split)</h2>
${verdicts}${cost ? `\n<p class="cost-verdict" id="cost-verdict">${esc(cost)}</p>` : ""}
<div class="cards" id="baseline-cards">
${cards.join("\n")}
</div>
</section>`;
}

function baselineCard(b: BaselineResult, c: Comparison | undefined): string {
  const test = b.test;
  const verdict = c
    ? `<div class="sub verdict-${esc(c.verdict)}">chosen instruction ${c.verdict === "indistinguishable" ? "not distinguishable" : esc(c.verdict)}: ${esc(
        `${c.diff >= 0 ? "+" : ""}${c.diff.toFixed(3)}`,
      )}${c.pValue !== null ? ` (p = ${esc(c.pValue < 0.001 ? "<0.001" : c.pValue.toFixed(3))})` : ""}</div>`
    : "";
  return `<div class="card baseline-card"><div class="k">${esc(b.name)} · test score</div>
<div class="v">${test ? esc(fmtScore(test.score)) : "-"}</div>
<div class="sub">${test ? `95% CI ${esc(fmtScore(test.low))} to ${esc(fmtScore(test.high))}` : "not scored on the test split"}</div>
${test ? intervalBar(test, { width: 200, label: esc(`${b.name}: ${withCi(test.score, test.low, test.high)}`) }) : ""}
<div class="sub">validation ${esc(fmtScore(b.validation.score))} · ${esc(KIND_TEXT[b.kind] ?? b.kind)}</div>
${verdict}
${b.instruction.trim() === "" ? "" : `<div class="instr">${esc(b.instruction)}</div>`}</div>`;
}

/** How the winner was chosen: the selection split's table, or the rule used, and the fallback note. */
function selectionSection(
  run: RunExport,
  tagsOf: (instruction: string) => { init?: boolean; empty?: boolean },
): string {
  const sel = run.selection;
  if (!sel) return "";
  const note = sel.note ? `<p class="callout" id="selection-note">${esc(sel.note)}</p>` : "";
  const rule =
    sel.rule === "fresh"
      ? `<p>The ${esc(fmtInt(sel.candidates.length))} best distinct candidates by validation score were scored again on ${esc(
          fmtInt(sel.size),
        )} fresh examples (used neither for demonstrations, validation nor test); the best score there won, which avoids picking a candidate that was merely lucky on the validation examples.</p>`
      : `<p>The winner is the candidate with the best validation score (the paper's rule).</p>`;
  const rows = sel.candidates
    .map((c, i) => {
      const won = c.index === sel.winner;
      return `<tr${won ? ' class="chosen"' : ""}>${numCell(String(i + 1))}${numCell(String(c.index))}${instructionCell(
        c.instruction,
        {
          chosen: won,
          ...tagsOf(c.instruction),
        },
      )}${numCell(fmtScore(c.validationScore))}${sel.rule === "fresh" ? numCell(fmtScore(c.score)) : ""}</tr>`;
    })
    .join("\n");
  const table =
    sel.candidates.length > 0
      ? `<table id="selection-table"><thead><tr><th class="num">#</th><th class="num">evaluation</th><th>candidate</th><th class="num">validation score</th>${
          sel.rule === "fresh" ? '<th class="num">selection score</th>' : ""
        }</tr></thead>
<tbody>
${rows}
</tbody></table>`
      : "";
  return `<section id="selection"><h2>How the winner was chosen</h2>
${note}
${rule}
${table}
</section>`;
}

/** The transfer table: test scores of the winner, top candidates and baselines on other black boxes. */
function transferSection(run: RunExport): string {
  if (run.transfer.length === 0) return "";
  const rows = run.transfer
    .map(
      (r) =>
        `<tr${r.name === "winner" ? ' class="chosen"' : ""}>${textCell(r.target)}${td(esc(r.name))}${numCell(fmtScore(r.score))}${numCell(
          `${fmtScore(r.low)} to ${fmtScore(r.high)}`,
        )}${td(intervalBar(r, { label: esc(`${r.name} on ${r.target}: ${withCi(r.score, r.low, r.high)}`) }))}${instructionCell(
          r.instruction,
          {},
        )}</tr>`,
    )
    .join("\n");
  return `<section id="transfer"><h2>Transfer to other black boxes (test split)</h2>
<p class="note">The chosen instruction, the other selection candidates and the baselines scored on other target models (<code>instructzero transfer</code>). On this run's own target (${esc(
    run.config.target,
  )}) see the cards above.</p>
<table id="transfer-table"><thead><tr><th>target</th><th>instruction</th><th class="num">test score</th><th class="num">95% CI</th><th>interval</th><th>text</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

/** Options of {@link renderRunBody} (the live pages' links and limits; the static report uses none). */
export interface RunViewOptions {
  /** Show at most this many rows of the instruction and evaluation tables (default: all). */
  rowLimit?: number;
  /** A link to an evaluation's own page (its index); escaped here. */
  candidateHref?: (index: number) => string;
  /** Where the full candidates table is, named under a cut table. */
  candidatesHref?: string;
  /** HTML put right after the header (the live pages' panel); built with escaping by the caller. */
  afterHeader?: string;
}

/** The HTML page for an exported run (a complete document, UTF-8). */
export function renderHtmlReport(run: RunExport): string {
  const title = `instructzero · ${run.config.task} · ${run.run.id}`;
  return htmlPage({ title, css: RUN_REPORT_CSS, body: renderRunBody(run) });
}

/** The report's body for an exported run: every section, the charts drawn by ./run-charts.ts. */
export function renderRunBody(run: RunExport, options: RunViewOptions = {}): string {
  const { config, summary, totals, best } = run;
  const limit = options.rowLimit ?? Number.POSITIVE_INFINITY;
  const indexCell = (index: number) =>
    options.candidateHref
      ? td(`<a href="${esc(options.candidateHref(index))}">${esc(String(index))}</a>`, "num")
      : numCell(String(index));
  const cut = (shown: number, all: number) =>
    shown < all
      ? `<p class="note table-cut">Showing ${esc(fmtInt(shown))} of ${esc(fmtInt(all))}${
          options.candidatesHref
            ? `: <a href="${esc(options.candidatesHref)}">every candidate, sortable</a>`
            : ""
        }.</p>`
      : "";
  const byIndex = new Map(run.evaluations.map((e) => [e.index, e]));
  const firstOf = new Map<string, EvaluationRecord>();
  for (const e of run.evaluations) if (!firstOf.has(e.instruction)) firstOf.set(e.instruction, e);
  const tagsOf = (instruction: string) => {
    const e = firstOf.get(instruction);
    return { init: e?.origin === "init", empty: Boolean(e?.empty) };
  };

  const cards = [
    card("chosen: validation score", fmtScore(summary.bestScore)),
    card(
      "test score",
      fmtScore(summary.testScore),
      best?.test?.low !== undefined && best.test.high !== undefined
        ? `95% CI ${fmtScore(best.test.low)} to ${fmtScore(best.test.high)}`
        : undefined,
    ),
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

  const notes =
    run.notes.length > 0
      ? `<section id="notes"><h2>Notes</h2><ul class="notes">${run.notes.map((n) => `<li>${esc(n)}</li>`).join("\n")}</ul></section>`
      : "";

  const chartBaselines = run.baselines.map((b) => ({ name: b.name, score: b.validation.score }));
  const chart = runProgressChart(run.evaluations, chartBaselines, run.bestSoFar);
  const hasInit = run.evaluations.some((e) => e.origin === "init");
  const hasEmpty = run.evaluations.some((e) => e.empty);

  const instructionRows = run.instructions
    .slice(0, limit)
    .map(
      (s, rank) =>
        `<tr${s.firstIndex === summary.bestIndex ? ' class="chosen"' : ""}>${numCell(String(rank + 1))}${numCell(
          fmtScore(s.score),
        )}${instructionCell(s.instruction, { chosen: s.firstIndex === summary.bestIndex, ...tagsOf(s.instruction) })}${indexCell(
          s.firstIndex,
        )}${numCell(String(s.iteration))}${numCell(String(s.proposals))}</tr>`,
    )
    .join("\n");

  const withJudge = run.evaluations.some((e) => e.judge);
  const evaluationRows = run.evaluations
    .slice(0, limit)
    .map(
      (e, i) =>
        `<tr>${indexCell(e.index)}${numCell(e.origin === "init" ? "extra" : String(e.iteration))}${numCell(
          fmtScore(e.score),
        )}${numCell(fmtScore(run.bestSoFar[i]))}${td(e.reused ? "yes" : "")}${numCell(fmtInt(e.calls))}${numCell(
          fmtUsd(e.costUsd),
        )}${withJudge ? numCell(fmtUsd(e.judge?.costUsd ?? 0)) : ""}${instructionCell(e.instruction, {
          chosen: e.index === summary.bestIndex,
          init: e.origin === "init",
          empty: Boolean(e.empty),
        })}</tr>`,
    )
    .join("\n");

  // The heatmap: the top distinct instructions by validation score, over the validation examples.
  const heatRows = run.instructions.slice(0, HEATMAP_TOP).map((s) => {
    const e = byIndex.get(s.firstIndex);
    return {
      instruction: s.instruction,
      score: s.score,
      scores: e?.scores ?? [],
      index: s.firstIndex,
      chosen: s.firstIndex === summary.bestIndex,
      init: e?.origin === "init",
      empty: Boolean(e?.empty),
    };
  });
  const columns: HeatmapColumn[] =
    run.validationExamples?.map((x) => ({ input: x.input, answers: x.answers })) ??
    best?.validation.map((x) => ({ input: x.input, answers: x.answers })) ??
    [];
  const heatmap =
    heatRows.length > 0
      ? `${renderHeatmap(heatRows, columns)}
<p class="legend">Each cell: the instruction's score on one validation example (red 0, yellow 0.5, green 1); hover a column number for the example. The last row is each example's mean over these instructions: a column that is red throughout is an example none of them gets right.</p>`
      : `<p class="note">No evaluation recorded yet.</p>`;

  const configBody: string[] = [];
  let section = "";
  for (const r of configRows(config as unknown as Record<string, unknown>)) {
    if (r.section !== section) {
      section = r.section;
      configBody.push(`<tr class="section"><th colspan="3">${esc(section)}</th></tr>`);
    }
    configBody.push(
      `<tr><th class="label">${esc(r.label)}</th>${td(r.flag ? `<code>${esc(r.flag)}</code>` : "")}${textCell(r.value)}</tr>`,
    );
  }

  const totalRows = totalsRows(totals)
    .map(([label, value]) => `<tr><th>${esc(label)}</th>${numCell(value)}</tr>`)
    .join("\n");

  const sel = run.selection;
  const chosenHow = sel
    ? sel.rule === "fresh"
      ? (() => {
          const w = sel.candidates.find((c) => c.index === sel.winner);
          return ` Chosen on ${esc(fmtInt(sel.size))} fresh selection examples (score ${esc(fmtScore(w?.score ?? null))}).`;
        })()
      : " Chosen by the best validation score."
    : "";
  const bestTags = best ? instructionTags({ ...tagsOf(best.instruction) }) : "";
  const bestSection = best
    ? `<blockquote class="instruction" id="best-instruction">${esc(best.instruction)}</blockquote>${
        best.demos?.length
          ? `\n<p class="note">With ${best.demos.length} demonstration${best.demos.length === 1 ? "" : "s"} in the prompt:</p>\n<pre class="demos" id="best-demos">${esc(best.demos.map((d) => `Input: ${d.input}\nOutput: ${d.output}`).join("\n\n"))}</pre>`
          : ""
      }
<p class="note">${bestTags}Evaluation ${best.index} (${byIndex.get(best.index)?.origin === "init" ? "an extra candidate you gave" : `iteration ${best.iteration}`}), validation score ${esc(fmtScore(best.score))}${
        best.test ? `, test score ${esc(withCi(best.test.score, best.test.low, best.test.high))}` : ""
      }.${chosenHow}</p>`
    : `<p class="note">No evaluation recorded yet.</p>`;

  const validationSection = best
    ? examplesTable("validation-examples", best.validation)
    : `<p class="note">No evaluation recorded yet.</p>`;
  const testSection = best?.test
    ? examplesTable("test-examples", best.test.examples)
    : `<p class="note">No test score recorded${run.run.status === "completed" ? "" : " (the run has not completed)"}.</p>`;

  const statusText = run.run.statusMessage ? `${run.run.status}: ${run.run.statusMessage}` : run.run.status;
  const judgePaid = run.evaluations.some((e) => (e.judge?.costUsd ?? 0) > 0);

  return `<header>
<h1>Run ${esc(run.run.id)}</h1>
<p class="meta">task <strong>${esc(config.task)}</strong> · method <strong>${esc(config.method)}</strong> · target <strong>${esc(
    config.target,
  )}</strong>${config.generator ? ` · generator <strong>${esc(config.generator)}</strong>` : ""} · seed ${esc(
    String(config.seed),
  )}<br>status <strong class="status-${esc(run.run.status)}">${esc(statusText)}</strong> · created ${esc(
    fmtDate(run.run.createdAt),
  )}${run.run.finishedAt ? ` · finished ${esc(fmtDate(run.run.finishedAt))}` : ""}</p>
</header>
${options.afterHeader ?? ""}
<section id="summary"><div class="cards">
${cards}
</div></section>
${verdictSection(run)}
${notes}
<section id="best"><h2>Chosen instruction</h2>
${bestSection}
</section>
<section id="progress"><h2>Best score so far</h2>
${chart}
<p class="legend"><span class="line"></span> best validation score so far <span class="dot"></span> score of each evaluation (hollow: reused, not re-queried)${
    hasInit ? ' <span class="dot init"></span> extra candidate you gave' : ""
  }${hasEmpty ? " · red ring: empty instruction (scored 0)" : ""}${
    chartBaselines.length > 0 ? ' <span class="line base"></span> baseline (validation score)' : ""
  } · dashed lines separate iterations</p>
</section>
<section id="distribution"><h2>Scores per iteration</h2>
${runDistributionChart(run.evaluations)}
<p class="legend">Validation scores of the candidates of each iteration (initial design, then each batch${
    hasInit ? "; extra: the candidates you gave" : ""
  }): box from the first to the third quartile, line at the median, whisker from worst to best, one dot per evaluation.</p>
</section>
${selectionSection(run, tagsOf)}
<section id="heatmap"><h2>Top ${esc(fmtInt(heatRows.length))} instructions on each validation example</h2>
${heatmap}
</section>
<section id="similarity"><h2>Similarity map of the instructions</h2>
${runSimilarityMap(run.instructions, (i) => byIndex.get(i)?.z ?? null, summary.bestIndex)}
<p class="legend">Each dot is a distinct instruction${run.instructions.length > SIMILARITY_TOP ? ` (the best ${SIMILARITY_TOP})` : ""}, coloured by its validation score (red 0, green 1; ringed: the winner); near dots are alike: their soft prompts (the search's view) when the run has them, else their text (character trigrams). Hover a dot for its instruction.</p>
</section>
<section id="instructions"><h2>All instructions (${esc(fmtInt(summary.distinctInstructions))} distinct, best first)</h2>
<table id="instruction-table"><thead><tr><th class="num">rank</th><th class="num">score</th><th>instruction</th><th class="num">first evaluation</th><th class="num">iteration</th><th class="num">times proposed</th></tr></thead>
<tbody>
${instructionRows}
</tbody></table>
${cut(Math.min(limit, run.instructions.length), run.instructions.length)}
<details><summary>Every evaluation (${esc(fmtInt(summary.evaluations))})</summary>
<table id="evaluation-table"><thead><tr><th class="num">index</th><th class="num">iteration</th><th class="num">score</th><th class="num">best so far</th><th>reused</th><th class="num">calls</th><th class="num">cost</th>${
    withJudge ? '<th class="num">judge cost</th>' : ""
  }<th>instruction</th></tr></thead>
<tbody>
${evaluationRows}
</tbody></table>
${cut(Math.min(limit, run.evaluations.length), run.evaluations.length)}
</details>
</section>
${oldCandidatesSection(run)}
${transferSection(run)}
<section id="validation"><h2>Chosen instruction on the validation examples</h2>
${validationSection}
</section>
<section id="test"><h2>Chosen instruction on the test examples</h2>
${testSection}
</section>
<section id="front"><h2>Accuracy against cost</h2>
${runFrontChart(run.evaluations, run.baselines, summary.bestIndex)}
<p class="legend">Each dot is a distinct candidate at its dollars per 1,000 queries (its paid validation calls) and its validation score; filled dots joined by the dashed line are the Pareto front (no other candidate is as good for less); ringed: the chosen one; diamonds: the baselines.${
    run.config.prefer
      ? ` The choice preferred cheaper candidates within ${esc(String(run.config.prefer.cheaper))} of the best selection score.`
      : ""
  }</p>
</section>
<section id="cost"><h2>Cost and totals</h2>
${runCostChart(run.evaluations)}
<p class="legend">Cumulative ${judgePaid ? "black box + judge dollars (dashed: black box alone)" : "spending"} over the search's evaluations. The selection step, the baselines and the test split come after the search: they are in the totals below.</p>
<p class="note">${run.totalsSource === "final" ? "Final totals of the run (every phase)." : "Sums over the recorded evaluations (the run has not completed)."}</p>
<table id="totals-table"><tbody>
${totalRows}
</tbody></table>
</section>
<section id="config"><h2>Configuration</h2>
<table id="config-table"><thead><tr><th>option</th><th>flag</th><th>value</th></tr></thead><tbody>
${configBody.join("\n")}
</tbody></table>
</section>
<footer><p>${esc(run.producer)} · ${esc(run.format)} format v${esc(String(run.formatVersion))} · ledger run ${esc(run.run.id)}</p></footer>`;
}
