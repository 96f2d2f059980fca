/**
 * The runs page: every run of the store (a page at a time, newest first) with its status, task,
 * method, black box, scores, calls, dollars and times; filters; the resume command of an interrupted
 * run; boxes to pick runs to compare. Its table body is redrawn live (a run started beside appears).
 */
import { escapeHtml as esc } from "../../report/escape.js";
import type { RunFilter, RunPage } from "../../store/queries.js";
import { RUN_STATUSES } from "../../store/types.js";
import { fmtDate, fmtInt, fmtScore, fmtUsd } from "../../util/format.js";
import { type PageContext, uiPage } from "./layout.js";

/** What the runs page shows. */
export interface RunsView {
  page: RunPage;
  facets: { tasks: string[]; methods: string[]; targets: string[] };
  filter: RunFilter;
  /** The flag that names this store in a printed command ("" for the default store). */
  storeFlag: string;
}

/** The query string of a filter (and an offset), for links and the event stream. */
export function filterQuery(filter: RunFilter, offset = 0): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, String(v));
  if (offset > 0) q.set("offset", String(offset));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const td = (v: string, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${v}</td>`;

/** The `<tbody id="runs-body">` of a page of runs. */
export function runsBody(view: Pick<RunsView, "page" | "storeFlag">): string {
  const rows = view.page.rows.map((r) => {
    const href = `/runs/${encodeURIComponent(r.id)}`;
    const resume =
      r.status === "interrupted"
        ? `<div class="resume">resume: <code class="resume-command">${esc(
            `instructzero resume ${r.id}${view.storeFlag ? ` ${view.storeFlag}` : ""}`,
          )}</code></div>`
        : "";
    const why = r.statusMessage ? ` title="${esc(r.statusMessage)}"` : "";
    return `<tr class="run-row" data-run="${esc(r.id)}">${td(
      `<input type="checkbox" name="run" value="${esc(r.id)}" form="compare-form" aria-label="compare ${esc(r.id)}">`,
    )}${td(`<a href="${esc(href)}">${esc(r.id)}</a>`)}${td(
      `<span class="status status-${esc(r.status)}"${why}>${esc(r.status)}</span>${resume}`,
    )}${td(esc(r.task))}${td(esc(r.method))}${td(esc(r.target))}${td(esc(fmtScore(r.bestScore)), "num")}${td(
      esc(fmtScore(r.testScore)),
      "num",
    )}${td(`${esc(fmtInt(r.evaluations))} / ${esc(fmtInt(r.budget))}`, "num")}${td(esc(fmtInt(r.calls)), "num")}${td(
      esc(fmtUsd(r.costUsd)),
      "num",
    )}${td(esc(fmtDate(r.createdAt)))}${td(esc(r.finishedAt ? fmtDate(r.finishedAt) : ""))}</tr>`;
  });
  const empty = `<tr><td colspan="13" class="note">No runs${view.page.total === 0 ? " match" : " on this page"}.</td></tr>`;
  return `<tbody id="runs-body" data-total="${view.page.total}">
${rows.join("\n") || empty}
</tbody>`;
}

/** The `p#runs-count` line: how many runs match, which are shown, links to the other pages. */
export function runsCount(view: Pick<RunsView, "page" | "filter">): string {
  const { page, filter } = view;
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = Math.min(page.total, page.offset + page.rows.length);
  const prev =
    page.offset > 0
      ? `<a href="/${esc(filterQuery(filter, Math.max(0, page.offset - page.limit)))}" rel="prev">← newer</a>`
      : "";
  const next =
    page.offset + page.limit < page.total
      ? `<a href="/${esc(filterQuery(filter, page.offset + page.limit))}" rel="next">older →</a>`
      : "";
  return `<p class="meta" id="runs-count">${esc(fmtInt(page.total))} run${page.total === 1 ? "" : "s"}${
    page.total > 0 ? ` · showing ${esc(fmtInt(from))} to ${esc(fmtInt(to))}` : ""
  } ${prev} ${next}</p>`;
}

function select(name: string, label: string, options: readonly string[], value: string | undefined): string {
  const opts = options
    .map((o) => `<option value="${esc(o)}"${o === value ? " selected" : ""}>${esc(o)}</option>`)
    .join("");
  return `<label>${esc(label)} <select name="${name}"><option value="">any</option>${opts}</select></label>`;
}

/** The runs page. */
export function renderRunsPage(ctx: PageContext, view: RunsView): string {
  const { filter, facets } = view;
  const body = `<header><h1>Runs</h1>
<form class="filters" method="get" action="/">
${select("status", "status", RUN_STATUSES, filter.status)}
${select("task", "task", facets.tasks, filter.task)}
${select("method", "method", facets.methods, filter.method)}
${select("target", "black box", facets.targets, filter.target)}
<label>search <input type="search" name="q" value="${esc(filter.q ?? "")}" placeholder="run id or task"></label>
<button type="submit">filter</button>
</form>
<form id="compare-form" method="get" action="/compare"><button type="submit">compare the ticked runs</button></form>
</header>
${runsCount(view)}
<div class="scroll"><table id="runs-table"><thead><tr><th></th><th>run</th><th>status</th><th>task</th><th>method</th><th>black box</th><th class="num">best validation</th><th class="num">test</th><th class="num">evaluations</th><th class="num">calls</th><th class="num">dollars</th><th>started</th><th>ended</th></tr></thead>
${runsBody(view)}
</table></div>`;
  return uiPage(ctx, {
    title: "instructzero · runs",
    body,
    active: "runs",
    events: `/events/runs${filterQuery(filter, view.page.offset)}`,
  });
}
