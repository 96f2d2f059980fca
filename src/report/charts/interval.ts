/** A small inline interval bar: a point estimate and its interval on a fixed scale. */
import { f1 } from "./axes.js";

/** What the bar shows. */
export interface IntervalValue {
  score: number;
  low?: number | null;
  high?: number | null;
}

/**
 * An inline `<svg class="interval-bar">`: a faint `line.track` for the scale `[min, max]`, a
 * `line.ci` from low to high (when given) and a `circle.estimate` at the score; extra `dots` (e.g. one
 * per seed) as `circle.dot`. `label` is the accessible text (already escaped by the caller).
 */
export function intervalBar(
  v: IntervalValue,
  options: { min?: number; max?: number; width?: number; label?: string; dots?: readonly number[] } = {},
): string {
  const width = options.width ?? 140;
  const h = 16;
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  const span = max > min ? max - min : 1;
  const pad = 5;
  const x = (s: number) => pad + ((Math.min(max, Math.max(min, s)) - min) / span) * (width - 2 * pad);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="interval-bar" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img"${
      options.label ? ` aria-label="${options.label}"` : ""
    }>`,
    `<line class="track" x1="${pad}" x2="${width - pad}" y1="${h / 2}" y2="${h / 2}"/>`,
  ];
  for (const d of options.dots ?? [])
    if (Number.isFinite(d)) parts.push(`<circle class="dot" cx="${f1(x(d))}" cy="${h / 2}" r="2"/>`);
  if (v.low != null && v.high != null && Number.isFinite(v.low) && Number.isFinite(v.high))
    parts.push(
      `<line class="ci" x1="${f1(x(v.low))}" x2="${f1(x(v.high))}" y1="${h / 2}" y2="${h / 2}"/>`,
      `<line class="ci-end" x1="${f1(x(v.low))}" x2="${f1(x(v.low))}" y1="${h / 2 - 4}" y2="${h / 2 + 4}"/>`,
      `<line class="ci-end" x1="${f1(x(v.high))}" x2="${f1(x(v.high))}" y1="${h / 2 - 4}" y2="${h / 2 + 4}"/>`,
    );
  if (Number.isFinite(v.score))
    parts.push(`<circle class="estimate" cx="${f1(x(v.score))}" cy="${h / 2}" r="4"/>`);
  parts.push(`</svg>`);
  return parts.join("");
}
