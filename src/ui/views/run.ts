/**
 * A run's page: a live panel (status, phase and its progress, ETA, spend against the caps, who runs it,
 * the resume command) above the run report's own sections (src/report/html.ts: verdict with intervals,
 * charts, heatmap, similarity map, instructions, examples, cost, configuration), with links to each
 * candidate's page. While the run runs, the live panel and the charts are redrawn from the event stream.
 */
import type { ChartBaseline } from "../../report/chart.js";
import { escapeHtml as esc } from "../../report/escape.js";
import type { RunExport } from "../../report/export.js";
import { renderRunBody } from "../../report/html.js";
import {
  type ChartEvaluation,
  runCostChart,
  runDistributionChart,
  runProgressChart,
} from "../../report/run-charts.js";
import { fmtDuration, fmtInt, fmtScore, fmtUsd } from "../../util/format.js";
import type { LiveState } from "../live-state.js";
import { type PageContext, uiPage } from "./layout.js";

/** Rows of the report's instruction and evaluation tables shown on the page (the rest: candidates page). */
export const RUN_PAGE_ROWS = 50;

const runHref = (id: string) => `/runs/${encodeURIComponent(id)}`;

/** A `<progress>` with its text. */
function bar(cls: string, value: number, max: number, label: string): string {
  const v = Math.max(0, Math.min(value, max));
  return `<progress class="${cls}" value="${esc(String(v))}" max="${esc(String(max))}" aria-label="${esc(label)}"></progress>`;
}

/** The live panel (`div#live-panel`); `streamed`: drawn for the event stream (then a finished run says to reload). */
export function livePanel(runId: string, live: LiveState, storeFlag: string, streamed = false): string {
  const statusText = live.statusMessage ? `${live.status}: ${live.statusMessage}` : live.status;
  const parts = [
    `<div class="live-item"><div class="k">status</div><div class="v"><span class="status status-${esc(live.status)}" id="live-status">${esc(
      live.status,
    )}</span></div>${live.statusMessage ? `<div class="sub">${esc(statusText)}</div>` : ""}${
      live.holder
        ? `<div class="sub">on ${esc(live.holder.host)} (pid ${esc(String(live.holder.pid))})</div>`
        : ""
    }</div>`,
    `<div class="live-item"><div class="k">phase</div><div class="v" id="live-phase">${esc(
      live.status === "completed" ? "done" : (live.phase ?? "starting"),
    )}</div>${
      live.phaseProgress
        ? `<div class="sub" id="live-phase-progress">${esc(
            `${live.phaseProgress.done}${live.phaseProgress.total !== null ? ` / ${live.phaseProgress.total}` : ""} ${live.phaseProgress.of}`,
          )}</div>${
            live.phaseProgress.total !== null
              ? bar(
                  "phase-progress",
                  live.phaseProgress.done,
                  Math.max(1, live.phaseProgress.total),
                  "phase progress",
                )
              : ""
          }`
        : ""
    }</div>`,
    `<div class="live-item"><div class="k">search</div><div class="v" id="live-evaluations">${esc(fmtInt(live.evaluations))} / ${esc(
      fmtInt(live.budget),
    )} evaluations</div>${bar("search-progress", live.evaluations, Math.max(1, live.budget), "search progress")}${
      live.etaSeconds !== null
        ? `<div class="sub" id="live-eta">about ${esc(fmtDuration(live.etaSeconds * 1000))} left in the search</div>`
        : ""
    }</div>`,
    `<div class="live-item"><div class="k">${live.status === "completed" ? "chosen" : "best so far"}</div><div class="v" id="live-best">${
      live.best
        ? `${esc(fmtScore(live.best.score))} <a class="sub" href="${esc(`${runHref(runId)}/candidates/${live.best.index}`)}">evaluation ${esc(String(live.best.index))}</a>`
        : "-"
    }</div><div class="sub">validation score</div></div>`,
    `<div class="live-item"><div class="k">spent</div><div class="v" id="live-spent">${esc(fmtUsd(live.costUsd))}${
      live.maxCost !== null ? ` of ${esc(fmtUsd(live.maxCost))}` : ""
    }</div>${live.maxCost !== null ? bar("spend-progress", live.costUsd, live.maxCost, "dollars against the cap") : ""}<div class="sub">${esc(
      fmtInt(live.calls),
    )} paid calls${live.maxCalls !== null ? ` of ${esc(fmtInt(live.maxCalls))}` : ""}</div>${
      live.maxCalls !== null ? bar("calls-progress", live.calls, live.maxCalls, "calls against the cap") : ""
    }</div>`,
  ];
  const resume =
    live.status === "interrupted"
      ? `<p class="callout">Interrupted: continue it with <code class="resume-command">${esc(
          `instructzero resume ${runId}${storeFlag ? ` ${storeFlag}` : ""}`,
        )}</code></p>`
      : "";
  const done =
    live.status === "completed" && streamed
      ? `<p class="note" id="live-done">The run has finished: <a href="${esc(runHref(runId))}">reload</a> for its verdict.</p>`
      : "";
  return `<div id="live-panel" class="live-panel" data-status="${esc(live.status)}"><div class="cards">${parts.join("\n")}</div>${resume}${done}</div>`;
}

/** What the event stream replaces on a run's page, by element id. */
export function runFragments(
  runId: string,
  live: LiveState,
  evaluations: readonly ChartEvaluation[],
  baselines: readonly ChartBaseline[],
  storeFlag: string,
): Record<string, string> {
  return {
    "live-panel": livePanel(runId, live, storeFlag, true),
    "progress-chart": runProgressChart(evaluations, baselines),
    "distribution-chart": runDistributionChart(evaluations),
    "cost-chart": runCostChart(evaluations),
  };
}

/** A run's page. */
export function renderRunPage(
  ctx: PageContext,
  o: { run: RunExport; live: LiveState; storeFlag: string; follow: boolean },
): string {
  const { run } = o;
  const href = runHref(run.run.id);
  const links = `<p class="run-links"><a href="${esc(`${href}/candidates`)}">every candidate, sortable</a> · <a href="${esc(
    `/compare?run=${encodeURIComponent(run.run.id)}`,
  )}">compare with other runs</a> · <a href="${esc(`${href}/report.html`)}">static report</a> · <a href="${esc(
    `${href}/export.json`,
  )}">JSON export</a></p>`;
  const body = renderRunBody(run, {
    rowLimit: RUN_PAGE_ROWS,
    candidateHref: (i) => `${href}/candidates/${i}`,
    candidatesHref: `${href}/candidates`,
    afterHeader: `${links}\n${livePanel(run.run.id, o.live, o.storeFlag)}`,
  });
  return uiPage(ctx, {
    title: `instructzero · ${run.config.task} · ${run.run.id}`,
    body,
    active: "runs",
    ...(o.follow ? { events: `/events${href}` } : {}),
  });
}
