/** The report's inline SVG chart: validation score of every evaluation and the best-so-far curve. */
import { escapeHtml } from "./escape.js";

/** What the chart draws, one entry per evaluation in index order. */
export interface ChartInput {
  /** Validation score of each evaluation. */
  scores: number[];
  /** Best score so far after each evaluation (same length). */
  bestSoFar: number[];
  /** BO iteration of each evaluation (0 = initial design); boundaries are drawn between iterations. */
  iterations: number[];
  /** Whether each evaluation reused an earlier score. */
  reused?: boolean[];
}

const W = 960;
const H = 340;
const M = { left: 52, right: 16, top: 24, bottom: 44 };

/** A tick step (1, 2, 5 x 10^k) giving at most `maxTicks` ticks over `span`. */
function niceStep(span: number, maxTicks: number): number {
  const raw = span / maxTicks;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-12)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

const f1 = (x: number) => x.toFixed(1);

/**
 * An `<svg>` element (no scripts, no external references): one `circle.eval-point` per evaluation,
 * one `polyline.best-so-far` with one vertex per evaluation, dashed `line.iteration-boundary`s and
 * axes with ticks (the legend is the caller's).
 */
export function renderChart(input: ChartInput): string {
  const n = input.scores.length;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const all = [...input.scores, ...input.bestSoFar];
  const lo = Math.min(0, ...all);
  let hi = Math.max(1, ...all);
  if (hi <= lo) hi = lo + 1;
  const xMax = Math.max(n, 2);
  const x = (i: number) => M.left + (i / (xMax - 1)) * plotW;
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Validation score per evaluation and best score so far">`,
  );
  // Axes and grid.
  const yStep = niceStep(hi - lo, 5);
  for (let v = Math.ceil(lo / yStep) * yStep; v <= hi + 1e-9; v += yStep) {
    const yy = f1(y(v));
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"/>`,
      `<text class="tick" x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Number(v.toFixed(6))}</text>`,
    );
  }
  const xStep = Math.max(1, Math.round(niceStep(xMax - 1, 10)));
  const xTicks = [1];
  for (let k = xStep; k <= xMax; k += xStep) if (k > 1) xTicks.push(k);
  for (const k of xTicks) {
    const xx = f1(x(k - 1));
    parts.push(
      `<line class="axis" x1="${xx}" x2="${xx}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}"/>`,
      `<text class="tick" x="${xx}" y="${H - M.bottom + 16}" text-anchor="middle">${k}</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>`,
    `<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>`,
    `<text class="label" x="${M.left + plotW / 2}" y="${H - 6}" text-anchor="middle">evaluation</text>`,
    `<text class="label" x="14" y="${M.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + plotH / 2})">validation score</text>`,
  );
  // Iteration boundaries.
  for (let i = 1; i < n; i++) {
    if (input.iterations[i] !== input.iterations[i - 1]) {
      const xx = f1((x(i - 1) + x(i)) / 2);
      parts.push(
        `<line class="iteration-boundary" x1="${xx}" x2="${xx}" y1="${M.top}" y2="${H - M.bottom}"/>`,
        `<text class="iteration-label" x="${xx}" y="${M.top - 6}" text-anchor="middle">it ${escapeHtml(String(input.iterations[i]))}</text>`,
      );
    }
  }
  if (n === 0) {
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">no evaluations yet</text>`,
    );
  } else {
    for (let i = 0; i < n; i++) {
      const cls = input.reused?.[i] ? "eval-point reused" : "eval-point";
      parts.push(
        `<circle class="${cls}" cx="${f1(x(i))}" cy="${f1(y(input.scores[i]))}" r="3"><title>evaluation ${i + 1}: ${input.scores[i].toFixed(3)}</title></circle>`,
      );
    }
    const pts = input.bestSoFar.map((v, i) => `${f1(x(i))},${f1(y(v))}`).join(" ");
    parts.push(`<polyline class="best-so-far" points="${pts}"/>`);
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
