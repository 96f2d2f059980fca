/** Cumulative spending over the evaluations (dollars; calls when nothing was paid). */

import { fmtInt, fmtUsd } from "../../util/format.js";
import { escapeHtml } from "../escape.js";
import { axes, evaluationTicks, f1, type Margins, niceStep, svgOpen, ticks } from "./axes.js";

/** Per evaluation, in index order. */
export interface CostInput {
  /** Black-box dollars of each evaluation. */
  costUsd: number[];
  /** LLM-judge dollars of each evaluation (0 without a judge). */
  judgeCostUsd?: number[];
  /** Black-box calls of each evaluation. */
  calls: number[];
}

const W = 960;
const H = 260;
const M: Margins = { left: 76, right: 16, top: 16, bottom: 44 };

const cumulative = (xs: readonly number[]) => {
  let s = 0;
  return xs.map((x) => {
    s += Number.isFinite(x) ? x : 0;
    return s;
  });
};

/**
 * An `<svg>` line chart: `polyline.cost-total` (black box + judge, one vertex per evaluation) and, when a
 * judge was paid, `polyline.cost-blackbox`. When no evaluation cost anything (local models, cached
 * answers) it draws the cumulative black-box calls instead (`polyline.calls-total`), saying so.
 */
export function renderCostChart(input: CostInput): string {
  const n = input.costUsd.length;
  const judge = input.judgeCostUsd ?? input.costUsd.map(() => 0);
  const bb = cumulative(input.costUsd);
  const total = cumulative(input.costUsd.map((c, i) => c + (judge[i] ?? 0)));
  const paid = n > 0 && total[n - 1] > 0;
  const hasJudge = judge.some((j) => j > 0);
  const series = paid ? total : cumulative(input.calls);
  const hi0 = Math.max(...series, 0);
  // the axis ends at the first tick at or above the highest value
  const step = niceStep(hi0 > 0 ? hi0 : 1, 5);
  const hi = Math.max(Math.ceil((hi0 > 0 ? hi0 : 1) / step - 1e-9) * step, 1e-12);
  const yTicks = ticks(0, hi, 5);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const xMax = Math.max(n, 2);
  const x = (i: number) => M.left + (i / (xMax - 1)) * plotW;
  const y = (v: number) => M.top + (1 - v / hi) * plotH;
  const what = paid ? "cumulative cost" : "cumulative black-box calls (nothing was paid)";

  const parts = [svgOpen("cost-chart", W, H, escapeHtml(`${what} over the evaluations`), "cost-chart")];
  axes(
    {
      w: W,
      h: H,
      m: M,
      yTicks,
      y,
      fmtY: (v) => escapeHtml(paid ? fmtUsd(v) : fmtInt(v)),
      xLabel: "evaluation",
      yLabel: paid ? "dollars spent" : "black-box calls",
    },
    parts,
  );
  evaluationTicks(n, x, H, M, parts);
  if (n === 0) {
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">no evaluations yet</text>`,
    );
  } else {
    const line = (cls: string, ys: number[]) =>
      `<polyline class="${cls}" points="${ys.map((v, i) => `${f1(x(i))},${f1(y(v))}`).join(" ")}"/>`;
    if (paid && hasJudge) parts.push(line("cost-blackbox", bb));
    parts.push(line(paid ? "cost-total" : "calls-total", series));
    const last = series[n - 1];
    parts.push(
      `<text class="end-label" x="${f1(x(n - 1) - 4)}" y="${f1(Math.max(M.top + 10, y(last) - 6))}" text-anchor="end">${escapeHtml(
        paid ? fmtUsd(last) : `${fmtInt(last)} calls`,
      )}</text>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
