/**
 * The report's main inline SVG chart: validation score of every evaluation, the best-so-far curve and
 * the baselines' validation scores as labelled horizontal lines.
 */
import { axes, evaluationTicks, f1, type Margins, svgOpen, ticks } from "./charts/axes.js";
import { escapeHtml } from "./escape.js";

/** A baseline drawn as a horizontal line at its validation score. */
export interface ChartBaseline {
  /** Its name ("no instruction", "human instruction", ...): untrusted, escaped. */
  name: string;
  score: number;
}

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
  /** Whether each evaluation is an extra candidate given by the user (`origin: "init"`). */
  init?: boolean[];
  /** Whether each evaluation's instruction was empty (scored 0 without calls). */
  empty?: boolean[];
  /** Baselines' validation scores, drawn as labelled horizontal lines. */
  baselines?: ChartBaseline[];
}

const W = 960;
const H = 340;
const M: Margins = { left: 52, right: 16, top: 24, bottom: 44 };

/**
 * An `<svg>` element (no scripts, no external references): one `circle.eval-point` per evaluation,
 * one `polyline.best-so-far` with one vertex per evaluation, dashed `line.iteration-boundary`s, one
 * `line.baseline-line` and `text.baseline-label` per baseline, and axes with ticks (the legend is the
 * caller's).
 */
export function renderChart(input: ChartInput): string {
  const n = input.scores.length;
  const baselines = (input.baselines ?? []).filter((b) => Number.isFinite(b.score));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const all = [...input.scores, ...input.bestSoFar, ...baselines.map((b) => b.score)];
  const lo = Math.min(0, ...all);
  let hi = Math.max(1, ...all);
  if (hi <= lo) hi = lo + 1;
  const xMax = Math.max(n, 2);
  const x = (i: number) => M.left + (i / (xMax - 1)) * plotW;
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * plotH;

  const parts: string[] = [
    svgOpen(
      "progress-chart",
      W,
      H,
      "Validation score per evaluation, best score so far and baselines",
      "progress-chart",
    ),
  ];
  axes(
    { w: W, h: H, m: M, yTicks: ticks(lo, hi, 5), y, xLabel: "evaluation", yLabel: "validation score" },
    parts,
  );
  evaluationTicks(n, x, H, M, parts);
  // Iteration boundaries.
  for (let i = 1; i < n; i++) {
    if (
      input.iterations[i] !== input.iterations[i - 1] ||
      Boolean(input.init?.[i]) !== Boolean(input.init?.[i - 1])
    ) {
      const xx = f1((x(i - 1) + x(i)) / 2);
      const label = input.init?.[i] ? "extra" : `it ${escapeHtml(String(input.iterations[i]))}`;
      parts.push(
        `<line class="iteration-boundary" x1="${xx}" x2="${xx}" y1="${M.top}" y2="${H - M.bottom}"/>`,
        `<text class="iteration-label" x="${xx}" y="${M.top - 6}" text-anchor="middle">${label}</text>`,
      );
    }
  }
  // Baselines: a dashed line each, labelled at the right end (labels nudged apart when they collide).
  // Placed from the lowest line up, each label just above its line or pushed up past the one below, so
  // the labels keep the lines' order; drawn highest first.
  const labelY = new Map<ChartBaseline, number>();
  let below = Number.POSITIVE_INFINITY;
  for (const b of [...baselines].sort((a, c) => a.score - c.score)) {
    const ly = Math.max(12, Math.min(y(b.score) - 4, below - 12));
    labelY.set(b, ly);
    below = ly;
  }
  for (const b of [...baselines].sort((a, c) => c.score - a.score)) {
    const yy = y(b.score);
    const ly = labelY.get(b)!;
    const text = `${escapeHtml(b.name)} ${b.score.toFixed(3)}`;
    parts.push(
      `<g class="baseline"><title>baseline: ${text} (validation)</title>`,
      `<line class="baseline-line" x1="${M.left}" x2="${W - M.right}" y1="${f1(yy)}" y2="${f1(yy)}"/>`,
      `<text class="baseline-label" x="${W - M.right - 4}" y="${f1(ly)}" text-anchor="end">${text}</text></g>`,
    );
  }
  if (n === 0) {
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">no evaluations yet</text>`,
    );
  } else {
    for (let i = 0; i < n; i++) {
      const cls = [
        "eval-point",
        ...(input.reused?.[i] ? ["reused"] : []),
        ...(input.init?.[i] ? ["init"] : []),
        ...(input.empty?.[i] ? ["empty-instruction"] : []),
      ].join(" ");
      const what = input.empty?.[i] ? " (empty instruction)" : input.init?.[i] ? " (extra candidate)" : "";
      parts.push(
        `<circle class="${cls}" cx="${f1(x(i))}" cy="${f1(y(input.scores[i]))}" r="3"><title>evaluation ${i + 1}: ${input.scores[i].toFixed(3)}${what}</title></circle>`,
      );
    }
    const pts = input.bestSoFar.map((v, i) => `${f1(x(i))},${f1(y(v))}`).join(" ");
    parts.push(`<polyline class="best-so-far" points="${pts}"/>`);
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
