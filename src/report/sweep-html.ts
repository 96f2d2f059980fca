/**
 * `renderSweepHtml`: the self-contained HTML page of a sweep (`instructzero bench ... --html FILE`): per
 * task, each method's test score as mean ± standard error over the seeds with an interval bar (the seeds
 * as dots), and its winners' win/tie/loss against each baseline; the average over tasks; every cell.
 * A pure function of the sweep's cells and summary rows. Like the run report: inline CSS and SVG, no
 * script, no network reference, every string from the runs escaped.
 */
import type { SweepCell, SweepRow } from "../optimizers/sweep.js";
import { fmtDate, fmtInt, fmtScore, fmtUsd } from "../util/format.js";
import { f1 } from "./charts/axes.js";
import { intervalBar } from "./charts/interval.js";
import { escapeHtml as esc } from "./escape.js";
import { BASE_CSS, htmlPage } from "./page.js";

/** Options of {@link renderSweepHtml}. */
export interface SweepReportOptions {
  /** Method order (default: as they first appear in the rows). */
  methods?: readonly string[];
  /** Page title [instructzero sweep]. */
  title?: string;
  /** When the sweep finished (ISO timestamp), shown in the header. */
  generatedAt?: string;
  /** "instructzero <version>", shown in the footer. */
  producer?: string;
}

type WTL = { win: number; tie: number; loss: number };

/** The sweep report's styles (the sweeps page of `instructzero ui` uses them too). */
export const SWEEP_REPORT_CSS = `${BASE_CSS}
.sweep-table { width: auto; min-width: 60%; }
.sweep-table tr.top td.mean { font-weight: 700; }
td.wtl { white-space: nowrap; font-variant-numeric: tabular-nums; }
.wtl-bar { vertical-align: middle; margin-left: 6px; }
.wtl-bar .win { fill: #3d9a5b; } .wtl-bar .tie { fill: #c3cad4; } .wtl-bar .loss { fill: #d0574f; }
.status-bad { color: var(--bad); }
.legend { color: var(--muted); font-size: 12px; }
`;

const td = (v: string, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${v}</td>`;
const numCell = (v: string) => td(esc(v), "num");

/** "0.512 ± 0.031" (mean alone with one seed; "-" without a test score). */
export function meanSe(r: Pick<SweepRow, "mean" | "se"> | undefined): string {
  if (!r || r.mean === null) return "-";
  return r.se === null ? fmtScore(r.mean) : `${fmtScore(r.mean)} ± ${fmtScore(r.se)}`;
}

/** A win/tie/loss cell: counts in colour and a small stacked bar. */
function wtlCell(w: WTL | undefined): string {
  if (!w) return td("-", "wtl");
  const n = w.win + w.tie + w.loss;
  const title = `${w.win} win${w.win === 1 ? "" : "s"}, ${w.tie} tie${w.tie === 1 ? "" : "s"}, ${w.loss} loss${w.loss === 1 ? "" : "es"}`;
  const width = 48;
  let x = 0;
  const seg = (cls: string, k: number) => {
    if (k === 0 || n === 0) return "";
    const ww = (k / n) * width;
    const r = `<rect class="${cls}" x="${f1(x)}" y="0" width="${f1(ww)}" height="8"/>`;
    x += ww;
    return r;
  };
  const bar =
    n > 0
      ? `<svg xmlns="http://www.w3.org/2000/svg" class="wtl-bar" viewBox="0 0 ${width} 8" width="${width}" height="8" role="img" aria-label="${title}">${seg(
          "win",
          w.win,
        )}${seg("tie", w.tie)}${seg("loss", w.loss)}</svg>`
      : "";
  return `<td class="wtl" title="${title}"><span class="win">${w.win}</span> / <span class="tie">${w.tie}</span> / <span class="loss">${w.loss}</span>${bar}</td>`;
}

function addWtl(into: WTL, w: WTL | undefined): void {
  if (!w) return;
  into.win += w.win;
  into.tie += w.tie;
  into.loss += w.loss;
}

/** The sweep report page (a complete HTML document, UTF-8). */
export function renderSweepHtml(
  cells: readonly SweepCell[],
  rows: readonly SweepRow[],
  options: SweepReportOptions = {},
): string {
  return htmlPage({
    title: options.title ?? "instructzero sweep",
    css: SWEEP_REPORT_CSS,
    body: renderSweepBody(cells, rows, options),
  });
}

/** The sweep report's body: the average over tasks, each task's table, every cell. */
export function renderSweepBody(
  cells: readonly SweepCell[],
  rows: readonly SweepRow[],
  options: SweepReportOptions = {},
): string {
  const tasks = [...new Set([...rows.map((r) => r.task), ...cells.map((c) => c.task)])];
  const present = [...new Set([...rows.map((r) => r.method), ...cells.map((c) => c.method)])];
  const methods = [
    ...(options.methods ?? []).filter((m) => present.includes(m)),
    ...present.filter((m) => !(options.methods ?? []).includes(m)),
  ];
  const baselines = [...new Set(rows.flatMap((r) => Object.keys(r.winTieLoss)))];
  const seeds = [...new Set(cells.map((c) => c.seed))].sort((a, b) => a - b);
  const find = (t: string, m: string) => rows.find((r) => r.task === t && r.method === m);
  const cellsOf = (t: string, m: string) => cells.filter((c) => c.task === t && c.method === m);

  // One scale for every bar: [0, 1] unless scores fall outside.
  const values = [
    ...cells.map((c) => c.test).filter((x): x is number => x !== null && Number.isFinite(x)),
    ...rows.flatMap((r) => (r.mean === null ? [] : [r.mean - (r.se ?? 0), r.mean + (r.se ?? 0)])),
  ];
  const min = Math.min(0, ...values);
  const max = Math.max(1, ...values);
  const scale = esc(`scale ${Number(min.toFixed(3))} to ${Number(max.toFixed(3))}`);

  const baselineHeads = baselines
    .map((b) => `<th class="wtl">vs ${esc(b)}<br><small>win / tie / loss</small></th>`)
    .join("");

  const taskSections = tasks
    .map((t, ti) => {
      const means = methods.map((m) => find(t, m)?.mean ?? null).filter((x): x is number => x !== null);
      const top = means.length > 1 ? Math.max(...means) : null;
      const body = methods
        .map((m) => {
          const r = find(t, m);
          const cs = cellsOf(t, m);
          if (!r && cs.length === 0) return "";
          const dots = cs.map((c) => c.test).filter((x): x is number => x !== null);
          const bar =
            r && r.mean !== null
              ? intervalBar(
                  {
                    score: r.mean,
                    low: r.se !== null ? r.mean - r.se : null,
                    high: r.se !== null ? r.mean + r.se : null,
                  },
                  { min, max, width: 220, dots, label: esc(`${m}: ${meanSe(r)}`) },
                )
              : "";
          const isTop = top !== null && r?.mean === top;
          return `<tr class="method-row${isTop ? " top" : ""}">${td(esc(m))}${numCell(`${fmtInt(r?.n ?? 0)} / ${fmtInt(cs.length)}`)}${td(
            esc(meanSe(r)),
            "num mean",
          )}${td(bar)}${baselines.map((b) => wtlCell(r?.winTieLoss[b])).join("")}</tr>`;
        })
        .join("\n");
      return `<section class="task" id="task-${ti}"><h3>${esc(t)}</h3>
<div class="scroll"><table class="sweep-table" id="sweep-task-${ti}"><thead><tr><th>method</th><th class="num">seeds scored / runs</th><th class="num">test score (mean ± s.e.)</th><th>mean ± 1 s.e. · seeds<br><small>${scale}</small></th>${baselineHeads}</tr></thead>
<tbody>
${body}
</tbody></table></div>
</section>`;
    })
    .join("\n");

  // Average over tasks and summed win/tie/loss per method.
  const overall = methods
    .map((m) => {
      const ms = tasks.map((t) => find(t, m)?.mean).filter((x): x is number => x !== null && x !== undefined);
      const avg = ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : null;
      const sums = baselines.map((b) => {
        const w = { win: 0, tie: 0, loss: 0 };
        for (const r of rows.filter((x) => x.method === m)) addWtl(w, r.winTieLoss[b]);
        return wtlCell(w);
      });
      return `<tr>${td(esc(m))}${numCell(`${fmtInt(ms.length)} / ${fmtInt(tasks.length)}`)}${numCell(fmtScore(avg))}${td(
        avg === null
          ? ""
          : intervalBar(
              { score: avg },
              { min, max, width: 220, dots: ms, label: esc(`${m}: ${fmtScore(avg)}`) },
            ),
      )}${sums.join("")}</tr>`;
    })
    .join("\n");

  const incomplete = cells.filter((c) => c.status !== "completed");
  const cellRows = cells
    .map(
      (c) =>
        `<tr>${td(esc(c.task))}${td(esc(c.method))}${numCell(String(c.seed))}${td(`<code>${esc(c.runId)}</code>`)}${td(
          esc(c.status),
          c.status === "completed" ? "" : "status-bad",
        )}${numCell(fmtScore(c.validation))}${numCell(fmtScore(c.test))}${numCell(fmtInt(c.calls))}${numCell(fmtUsd(c.costUsd))}${td(
          esc(
            c.comparisons
              .map((x) => `${x.baseline}: ${x.verdict} (${x.diff >= 0 ? "+" : ""}${x.diff.toFixed(3)})`)
              .join("; "),
          ),
          "text",
        )}</tr>`,
    )
    .join("\n");
  const totalCost = cells.reduce((a, c) => a + c.costUsd, 0);
  const totalCalls = cells.reduce((a, c) => a + c.calls, 0);

  return `<header>
<h1>${esc(options.title ?? "instructzero sweep")}</h1>
<p class="meta">${esc(fmtInt(tasks.length))} task${tasks.length === 1 ? "" : "s"} × ${esc(fmtInt(methods.length))} method${
    methods.length === 1 ? "" : "s"
  } × seeds ${esc(seeds.join(", ") || "-")} · ${esc(fmtInt(cells.length))} runs · ${esc(fmtInt(totalCalls))} black-box calls · ${esc(
    fmtUsd(totalCost),
  )}${options.generatedAt ? ` · ${esc(fmtDate(options.generatedAt))}` : ""}</p>
${
  incomplete.length > 0
    ? `<p class="status-bad" id="incomplete">${esc(fmtInt(incomplete.length))} run${incomplete.length === 1 ? "" : "s"} did not complete (${esc(
        [...new Set(incomplete.map((c) => c.status))].join(", "),
      )}): a seed counts in a mean only when its run has a test score.</p>`
    : ""
}
</header>
<section id="overall"><h2>Average over tasks</h2>
<div class="scroll"><table class="sweep-table" id="sweep-overall"><thead><tr><th>method</th><th class="num">tasks</th><th class="num">mean test score</th><th>mean · tasks<br><small>${scale}</small></th>${baselineHeads}</tr></thead>
<tbody>
${overall}
</tbody></table></div>
<p class="legend">Mean over tasks of each task's mean test score (dots: the tasks). Win / tie / loss: over every task and seed, how often the run's chosen instruction was better than, not distinguishable from, or worse than the baseline on the test split (paired test, 95%).</p>
</section>
<section id="tasks"><h2>Per task</h2>
<p class="legend">Test score of each run's chosen instruction: mean over seeds ± standard error (bar: one standard error each side; dots: the seeds). Bold: the best mean of the task.</p>
${taskSections || '<p class="note">No runs.</p>'}
</section>
<section id="cells"><h2>Every run</h2>
<details><summary>${esc(fmtInt(cells.length))} runs</summary>
<div class="scroll"><table id="sweep-cells"><thead><tr><th>task</th><th>method</th><th class="num">seed</th><th>run</th><th>status</th><th class="num">validation</th><th class="num">test</th><th class="num">calls</th><th class="num">cost</th><th>against the baselines</th></tr></thead>
<tbody>
${cellRows}
</tbody></table></div>
<p class="note">Each run is in the ledger: <code>instructzero report RUN</code> writes its own report.</p>
</details>
</section>
<footer><p>${esc(options.producer ?? "instructzero")} · sweep report</p></footer>`;
}
