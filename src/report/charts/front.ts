/**
 * The accuracy-vs-cost front: each distinct candidate with a known cost as a point (x: dollars per
 * 1,000 queries, y: validation score), the Pareto points (no other candidate is at least as good and
 * at most as expensive, and strictly better in one) marked and joined, the chosen one ringed, and the
 * baselines with a known cost as diamonds.
 */
import { fmtUsd } from "../../util/format.js";
import { escapeHtml } from "../escape.js";
import { axes, f1, type Margins, svgOpen, ticks } from "./axes.js";

/** One point of the chart. */
export interface FrontPoint {
  /** Evaluation index (candidates) or -1 (baselines). */
  index: number;
  score: number;
  usdPer1k: number;
  /** Hover text (an instruction or a baseline's name). */
  label: string;
  chosen?: boolean;
  baseline?: boolean;
}

/** Positions (in `points`) of the Pareto points: higher score and lower cost are better. */
export function paretoFront(points: readonly Pick<FrontPoint, "score" | "usdPer1k">[]): number[] {
  const out: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some(
      (q, j) =>
        j !== i &&
        q.score >= p.score &&
        q.usdPer1k <= p.usdPer1k &&
        (q.score > p.score || q.usdPer1k < p.usdPer1k || j < i),
    );
    if (!dominated) out.push(i);
  });
  return out;
}

const W = 960;
const H = 300;
const M: Margins = { left: 60, right: 16, top: 16, bottom: 44 };

/** The `svg#front-chart` of `points` (baselines are drawn but not part of the front). */
export function renderFrontChart(points: readonly FrontPoint[]): string {
  const candidates = points.filter((p) => !p.baseline);
  const front = new Set(paretoFront(candidates).map((i) => candidates[i]));
  const costs = points.map((p) => p.usdPer1k);
  const lo = Math.min(...costs, Number.POSITIVE_INFINITY);
  const hi = Math.max(...costs, 0);
  const x0 = points.length ? Math.max(0, lo - (hi - lo) * 0.05) : 0;
  const x1 = points.length && hi > x0 ? hi + (hi - lo) * 0.05 : x0 + 1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (v: number) => M.left + ((v - x0) / (x1 - x0)) * plotW;
  const y = (v: number) => M.top + (1 - v) * plotH;
  const parts = [
    svgOpen("front-chart", W, H, "validation score against dollars per 1,000 queries", "front-chart"),
  ];
  axes(
    {
      w: W,
      h: H,
      m: M,
      yTicks: ticks(0, 1, 5),
      y,
      xLabel: "dollars per 1,000 queries",
      yLabel: "validation score",
    },
    parts,
  );
  for (const v of ticks(x0, x1, 6))
    parts.push(
      `<text class="tick" x="${f1(x(v))}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeHtml(fmtUsd(v))}</text>`,
    );
  if (candidates.length === 0)
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">no candidate with a known cost (every answer cached, or a run made before costs were recorded)</text>`,
    );
  const line = [...front].sort((a, b) => a.usdPer1k - b.usdPer1k);
  if (line.length > 1)
    parts.push(
      `<polyline class="pareto-front" points="${line.map((p) => `${f1(x(p.usdPer1k))},${f1(y(p.score))}`).join(" ")}"/>`,
    );
  for (const p of candidates) {
    const cls = ["front-point", front.has(p) ? "pareto" : "", p.chosen ? "chosen" : ""]
      .filter(Boolean)
      .join(" ");
    parts.push(
      `<circle class="${cls}" cx="${f1(x(p.usdPer1k))}" cy="${f1(y(p.score))}" r="${p.chosen ? 6 : 4}"><title>${escapeHtml(
        `#${p.index} ${p.score.toFixed(3)} at ${fmtUsd(p.usdPer1k)} per 1,000 queries: ${p.label}`,
      )}</title></circle>`,
    );
  }
  for (const p of points.filter((q) => q.baseline)) {
    const cx = x(p.usdPer1k);
    const cy = y(p.score);
    parts.push(
      `<polygon class="front-baseline" points="${f1(cx)},${f1(cy - 6)} ${f1(cx + 6)},${f1(cy)} ${f1(cx)},${f1(cy + 6)} ${f1(cx - 6)},${f1(cy)}"><title>${escapeHtml(
        `${p.label}: ${p.score.toFixed(3)} at ${fmtUsd(p.usdPer1k)} per 1,000 queries`,
      )}</title></polygon>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/** CSS of the front chart (added to the report's and the dashboard's styles). */
export const FRONT_CSS = `.chart .front-point { fill: #8fa3c4; fill-opacity: 0.6; }
.chart .front-point.pareto { fill: var(--accent); fill-opacity: 1; }
.chart .front-point.chosen { stroke: #111; stroke-width: 2; }
.chart .pareto-front { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 4 3; }
.chart .front-baseline { fill: var(--base); }`;
