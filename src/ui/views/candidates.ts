/** A run's candidates table, sorted on any column by the server (one page at a time). */
import { instructionTags } from "../../report/charts/heatmap.js";
import { escapeHtml as esc } from "../../report/escape.js";
import { CANDIDATE_SORTS, type CandidateRow, type CandidateSort } from "../../store/queries.js";
import { fmtDate, fmtInt, fmtScore, fmtUsd } from "../../util/format.js";
import { type PageContext, uiPage } from "./layout.js";

const LABELS: Record<CandidateSort, string> = {
  index: "evaluation",
  iteration: "iteration",
  score: "score",
  calls: "calls",
  cost: "cost",
  instruction: "instruction",
};

/** The candidates page. */
export function renderCandidatesPage(
  ctx: PageContext,
  o: {
    runId: string;
    task: string;
    rows: CandidateRow[];
    total: number;
    sort: CandidateSort;
    descending: boolean;
    offset: number;
    limit: number;
    chosenIndex: number | null;
  },
): string {
  const base = `/runs/${encodeURIComponent(o.runId)}/candidates`;
  const q = (sort: CandidateSort, desc: boolean, offset: number) =>
    `${base}?sort=${sort}&dir=${desc ? "desc" : "asc"}${offset > 0 ? `&offset=${offset}` : ""}`;
  const head = CANDIDATE_SORTS.map((s) => {
    const active = s === o.sort;
    const desc = active ? !o.descending : s !== "index" && s !== "instruction";
    const arrow = active ? (o.descending ? " ↓" : " ↑") : "";
    return `<th class="${s === "instruction" ? "" : "num"}${active ? " sorted" : ""}"${
      active ? ` aria-sort="${o.descending ? "descending" : "ascending"}"` : ""
    }><a href="${esc(q(s, desc, 0))}">${esc(LABELS[s])}${arrow}</a></th>`;
  }).join("");
  const rows = o.rows
    .map(
      (r) =>
        `<tr${r.index === o.chosenIndex ? ' class="chosen"' : ""}><td class="num"><a href="${esc(`${base}/${r.index}`)}">${r.index}</a></td><td class="num">${r.iteration}</td><td class="num">${esc(
          fmtScore(r.score),
        )}</td><td class="num">${esc(fmtInt(r.calls))}</td><td class="num">${esc(fmtUsd(r.costUsd))}</td><td class="text"><div>${instructionTags(
          { chosen: r.index === o.chosenIndex },
        )}${r.instruction.trim() === "" ? "<em>(empty instruction)</em>" : esc(r.instruction)}</div></td><td>${esc(fmtDate(r.createdAt))}</td></tr>`,
    )
    .join("\n");
  const prev =
    o.offset > 0
      ? `<a href="${esc(q(o.sort, o.descending, Math.max(0, o.offset - o.limit)))}" rel="prev">← previous</a>`
      : "";
  const next =
    o.offset + o.limit < o.total
      ? `<a href="${esc(q(o.sort, o.descending, o.offset + o.limit))}" rel="next">next →</a>`
      : "";
  const body = `<header><p class="meta"><a href="${esc(`/runs/${encodeURIComponent(o.runId)}`)}">run ${esc(o.runId)}</a> · task <strong>${esc(
    o.task,
  )}</strong></p><h1>Candidates</h1></header>
<p class="meta">${esc(fmtInt(o.total))} evaluations · showing ${esc(fmtInt(o.total === 0 ? 0 : o.offset + 1))} to ${esc(
    fmtInt(Math.min(o.total, o.offset + o.rows.length)),
  )} · ${prev} ${next}</p>
<div class="scroll"><table id="candidates-table"><thead><tr>${head}<th>recorded</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
  return uiPage(ctx, { title: `instructzero · ${o.runId} · candidates`, body, active: "runs" });
}
