/**
 * The sweeps page: the cells of queued sweeps (`bench --queue`, a Postgres store) with where each stands
 * and which worker runs it, then every finished run of the store summarised by task and method as the
 * sweep report does (src/report/sweep-html.ts: the same tables and bars).
 */

import type { SweepCell, SweepRow } from "../../optimizers/sweep.js";
import { escapeHtml as esc } from "../../report/escape.js";
import { renderSweepBody } from "../../report/sweep-html.js";
import { fmtDate, fmtInt, fmtScore } from "../../util/format.js";
import { type PageContext, uiPage } from "./layout.js";

/** One queued cell and where it stands. */
export interface QueuedCellView {
  queue: string;
  task: string;
  method: string;
  seed: number;
  /** done, running, interrupted, stopped, failed, waiting (no run yet). */
  state: string;
  runId: string | null;
  evaluations: number;
  budget: number;
  test: number | null;
  /** The worker running it (host, pid). */
  worker: string | null;
  enqueuedAt: string;
}

/** The queued cells' section (`section#queued`), redrawn live. */
export function queuedSection(o: { queued: QueuedCellView[] }): string {
  const count = (s: string) => o.queued.filter((c) => c.state === s).length;
  const queued =
    o.queued.length > 0
      ? `<p class="meta" id="queue-summary">${esc(fmtInt(o.queued.length))} cells: ${esc(
          ["done", "running", "waiting", "interrupted", "stopped", "failed"]
            .map((s) => `${count(s)} ${s}`)
            .join(", "),
        )}</p>
<div class="scroll"><table id="queued-cells"><thead><tr><th>queue</th><th>task</th><th>method</th><th class="num">seed</th><th>state</th><th>worker</th><th>run</th><th class="num">evaluations</th><th class="num">test</th><th>enqueued</th></tr></thead><tbody>
${o.queued
  .map(
    (c) =>
      `<tr class="cell-${esc(c.state)}"><td>${esc(c.queue)}</td><td>${esc(c.task)}</td><td>${esc(c.method)}</td><td class="num">${c.seed}</td><td><span class="status status-${esc(
        c.state,
      )}">${esc(c.state)}</span></td><td>${esc(c.worker ?? "")}</td><td>${
        c.runId ? `<a href="/runs/${esc(encodeURIComponent(c.runId))}">${esc(c.runId)}</a>` : ""
      }</td><td class="num">${esc(fmtInt(c.evaluations))} / ${esc(fmtInt(c.budget))}</td><td class="num">${esc(fmtScore(c.test))}</td><td>${esc(
        fmtDate(c.enqueuedAt),
      )}</td></tr>`,
  )
  .join("\n")}
</tbody></table></div>`
      : `<p class="note">No queued sweep in this store (<code>instructzero bench --queue</code> on a Postgres store enqueues one; its workers' state shows here).</p>`;
  return `<section id="queued"><h2>Queued sweeps</h2>
${queued}
</section>`;
}

/** The sweeps page. */
export function renderSweepsPage(
  ctx: PageContext,
  o: { queued: QueuedCellView[]; cells: SweepCell[]; rows: SweepRow[] },
): string {
  const body = `<header><h1>Sweeps</h1></header>
${queuedSection(o)}
<section id="finished" class="sweep-summary">
${
  o.cells.length > 0
    ? renderSweepBody(o.cells, o.rows, { title: "Finished runs by task and method" })
        .replace(/<h1>/, "<h2>")
        .replace(/<\/h1>/, "</h2>")
    : '<h2>Finished runs by task and method</h2><p class="note">No finished run yet.</p>'
}
</section>`;
  return uiPage(ctx, { title: "instructzero · sweeps", body, active: "sweeps", events: "/events/sweeps" });
}
