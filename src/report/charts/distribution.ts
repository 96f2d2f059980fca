/** Per-iteration distribution of validation scores: a box (quartiles, median, range) and every point. */
import { escapeHtml } from "../escape.js";
import { axes, f1, type Margins, svgOpen, ticks } from "./axes.js";

/** One group of scores (an iteration, or the user's extra candidates). */
export interface DistributionGroup {
  /** Shown under the group (untrusted: escaped). */
  label: string;
  scores: number[];
  /** Whether each score was reused from an earlier evaluation (drawn hollow). */
  reused?: boolean[];
}

const W = 960;
const H = 280;
const M: Margins = { left: 52, right: 16, top: 16, bottom: 48 };

/** The q-quantile of sorted `xs` (linear interpolation). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * An `<svg>` strip-and-box plot: per group one `g.dist-group` holding a `rect.dist-box` (first to third
 * quartile), a `line.dist-median`, a `line.dist-whisker` (min to max) and one `circle.dist-point` per
 * score, spread sideways by a fixed (deterministic) jitter.
 */
export function renderDistribution(groups: readonly DistributionGroup[]): string {
  const all = groups.flatMap((g) => g.scores);
  const lo = Math.min(0, ...all);
  let hi = Math.max(1, ...all);
  if (hi <= lo) hi = lo + 1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const band = plotW / Math.max(groups.length, 1);
  const half = Math.min(band * 0.35, 40);

  const parts = [
    svgOpen("distribution-chart", W, H, "Validation scores of each iteration", "distribution-chart"),
  ];
  axes(
    { w: W, h: H, m: M, yTicks: ticks(lo, hi, 5), y, xLabel: "iteration", yLabel: "validation score" },
    parts,
  );
  if (groups.length === 0) {
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">no evaluations yet</text>`,
    );
  }
  // Labels would collide with many groups: label every k-th one.
  const every = Math.max(1, Math.ceil(groups.length / Math.max(1, Math.floor(plotW / 56))));
  groups.forEach((g, gi) => {
    const cx = M.left + band * (gi + 0.5);
    const sorted = [...g.scores].sort((a, b) => a - b);
    const label = escapeHtml(g.label);
    parts.push(`<g class="dist-group">`);
    if (sorted.length > 0) {
      const [q1, med, q3] = [0.25, 0.5, 0.75].map((q) => quantile(sorted, q));
      const min = sorted[0];
      const max = sorted[sorted.length - 1];
      const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
      parts.push(
        `<title>${label}: ${sorted.length} evaluations, median ${med.toFixed(3)}, mean ${mean.toFixed(3)}, best ${max.toFixed(3)}</title>`,
        `<line class="dist-whisker" x1="${f1(cx)}" x2="${f1(cx)}" y1="${f1(y(min))}" y2="${f1(y(max))}"/>`,
        `<rect class="dist-box" x="${f1(cx - half)}" y="${f1(y(q3))}" width="${f1(2 * half)}" height="${f1(Math.max(1, y(q1) - y(q3)))}"/>`,
        `<line class="dist-median" x1="${f1(cx - half)}" x2="${f1(cx + half)}" y1="${f1(y(med))}" y2="${f1(y(med))}"/>`,
      );
      g.scores.forEach((s, i) => {
        // golden-ratio sequence: an even, deterministic spread in [-0.8, 0.8] x half
        const jitter = (((i * 0.6180339887) % 1) - 0.5) * 1.6 * half;
        parts.push(
          `<circle class="dist-point${g.reused?.[i] ? " reused" : ""}" cx="${f1(cx + jitter)}" cy="${f1(y(s))}" r="2.5"/>`,
        );
      });
    }
    if (gi % every === 0)
      parts.push(
        `<text class="tick" x="${f1(cx)}" y="${H - M.bottom + 16}" text-anchor="middle">${label}</text>`,
      );
    parts.push(`</g>`);
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}
