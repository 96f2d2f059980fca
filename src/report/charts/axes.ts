/** Shared pieces of the report's inline SVG charts: tick steps, coordinates, axes. */

/** Plot margins in SVG units. */
export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A tick step (1, 2, 2.5, 5 x 10^k) giving at most `maxTicks` ticks over `span`. */
export function niceStep(span: number, maxTicks: number): number {
  const raw = span / maxTicks;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-12)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** A coordinate with one decimal. */
export const f1 = (x: number): string => x.toFixed(1);

/** Tick values from `lo` to `hi` (at most about `maxTicks`). */
export function ticks(lo: number, hi: number, maxTicks: number): number[] {
  const step = niceStep(hi - lo, maxTicks);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-6; v += step)
    out.push(Number(v.toFixed(10)));
  return out;
}

/** The `<svg>` opening tag of a chart (no scripts, no external references). */
export function svgOpen(cls: string, w: number, h: number, label: string, id?: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg"${id ? ` id="${id}"` : ""} class="chart ${cls}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${label}">`;
}

/**
 * Horizontal grid lines with tick labels on the left axis, the two axes and their labels.
 * `y` maps a value to its SVG y; `fmt` formats a tick value (its output is escaped by the caller's choice:
 * pass only numbers or escaped text).
 */
export function axes(
  o: {
    w: number;
    h: number;
    m: Margins;
    yTicks: number[];
    y: (v: number) => number;
    fmtY?: (v: number) => string;
    xLabel: string;
    yLabel: string;
  },
  parts: string[],
): void {
  const { w, h, m } = o;
  const fmt = o.fmtY ?? ((v: number) => String(Number(v.toFixed(6))));
  for (const v of o.yTicks) {
    const yy = f1(o.y(v));
    parts.push(
      `<line class="grid" x1="${m.left}" x2="${w - m.right}" y1="${yy}" y2="${yy}"/>`,
      `<text class="tick" x="${m.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`,
    );
  }
  const plotH = h - m.top - m.bottom;
  parts.push(
    `<line class="axis" x1="${m.left}" x2="${w - m.right}" y1="${h - m.bottom}" y2="${h - m.bottom}"/>`,
    `<line class="axis" x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${h - m.bottom}"/>`,
    `<text class="label" x="${m.left + (w - m.left - m.right) / 2}" y="${h - 6}" text-anchor="middle">${o.xLabel}</text>`,
    `<text class="label" x="14" y="${m.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.top + plotH / 2})">${o.yLabel}</text>`,
  );
}

/** Evaluation-number ticks (1-based) along the x axis for `n` evaluations at `x(i)` (0-based). */
export function evaluationTicks(
  n: number,
  x: (i: number) => number,
  h: number,
  m: Margins,
  parts: string[],
): void {
  const xMax = Math.max(n, 2);
  const xStep = Math.max(1, Math.round(niceStep(xMax - 1, 10)));
  const xs = [1];
  for (let k = xStep; k <= xMax; k += xStep) if (k > 1) xs.push(k);
  for (const k of xs) {
    const xx = f1(x(k - 1));
    parts.push(
      `<line class="axis" x1="${xx}" x2="${xx}" y1="${h - m.bottom}" y2="${h - m.bottom + 4}"/>`,
      `<text class="tick" x="${xx}" y="${h - m.bottom + 16}" text-anchor="middle">${k}</text>`,
    );
  }
}
