/**
 * The instructions' similarity map: each distinct instruction a dot on a plane where near means alike
 * (its soft prompt when the search had one, else the character trigrams of its text), coloured by its validation score.
 * The plane is the first two principal components (deterministic power iteration, no randomness).
 */
import { fmtScore } from "../../util/format.js";
import { escapeHtml } from "../escape.js";
import { f1, type Margins, svgOpen } from "./axes.js";
import { heatBin } from "./heatmap.js";

/** One instruction of the map. */
export interface SimilarityPoint {
  instruction: string;
  score: number;
  /** Evaluation index (first evaluation of this instruction). */
  index: number;
  /** Its soft prompt, or null (APE, extra candidates): then its text places it. */
  z: readonly number[] | null;
  chosen?: boolean;
}

const W = 960;
const H = 360;
const M: Margins = { left: 16, right: 16, top: 16, bottom: 16 };

/** Buckets of the hashed character trigrams that place a written instruction. */
const BUCKETS = 256;

/** FNV-1a hash of a string. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** An instruction's character trigrams (lower case, blanks folded), hashed into buckets, unit length. */
function trigramVector(text: string): number[] {
  const t = ` ${text.toLowerCase().replace(/\s+/g, " ").trim()} `;
  const v = new Array<number>(BUCKETS).fill(0);
  for (let i = 0; i + 3 <= t.length; i++) v[fnv(t.slice(i, i + 3)) % BUCKETS] += 1;
  const norm = Math.hypot(...v);
  return norm > 0 ? v.map((x) => x / norm) : v;
}

/** One vector per point: the soft prompts when every point has one of a common length, else its text's trigrams. */
export function similarityVectors(points: readonly SimilarityPoint[]): number[][] {
  const dims = new Set(points.map((p) => p.z?.length ?? -1));
  if (points.length > 0 && !dims.has(-1) && dims.size === 1) return points.map((p) => [...(p.z ?? [])]);
  return points.map((p) => trigramVector(p.instruction));
}

/** The first `k` principal-component coordinates of the rows of `x` (power iteration, deflation). */
export function principalCoordinates(x: readonly (readonly number[])[], k = 2): number[][] {
  const n = x.length;
  const d = n > 0 ? x[0].length : 0;
  const mean = new Array<number>(d).fill(0);
  for (const row of x) for (let j = 0; j < d; j++) mean[j] += row[j] / n;
  const c = x.map((row) => row.map((v, j) => v - mean[j]));
  const out: number[][] = Array.from({ length: n }, () => new Array<number>(k).fill(0));
  for (let comp = 0; comp < k && d > 0; comp++) {
    // start from a fixed, non-degenerate vector
    let v = Array.from({ length: d }, (_, j) => 1 / (j + 1 + comp));
    for (let it = 0; it < 60; it++) {
      const s = c.map((row) => row.reduce((a, r, j) => a + r * v[j], 0));
      const w = new Array<number>(d).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) w[j] += c[i][j] * s[i];
      const norm = Math.hypot(...w);
      if (!(norm > 1e-12)) break;
      const next = w.map((t) => t / norm);
      const moved = Math.hypot(...next.map((t, j) => t - v[j]));
      v = next;
      if (moved < 1e-7) break;
    }
    for (let i = 0; i < n; i++) {
      const s = c[i].reduce((a, r, j) => a + r * v[j], 0);
      out[i][comp] = s;
      for (let j = 0; j < d; j++) c[i][j] -= s * v[j];
    }
  }
  return out;
}

/**
 * An `<svg id="similarity-map">`: one `circle.sim-point` per instruction (its bin class `h0`..`h10` as
 * the heatmap's colours; a ring on the chosen one) with the instruction and score as its tooltip.
 */
export function renderSimilarityMap(points: readonly SimilarityPoint[]): string {
  const parts = [svgOpen("similarity-map", W, H, "Similarity map of the instructions", "similarity-map")];
  if (points.length === 0) {
    parts.push(
      `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no evaluations yet</text>`,
    );
  } else {
    const xy = principalCoordinates(similarityVectors(points));
    const span = (k: number) => {
      const vs = xy.map((p) => p[k]);
      const lo = Math.min(...vs);
      const hi = Math.max(...vs);
      return { lo, w: hi - lo > 1e-12 ? hi - lo : 1 };
    };
    const sx = span(0);
    const sy = span(1);
    const X = (v: number) => M.left + 8 + ((v - sx.lo) / sx.w) * (W - M.left - M.right - 16);
    const Y = (v: number) => M.top + 8 + (1 - (v - sy.lo) / sy.w) * (H - M.top - M.bottom - 16);
    // the best drawn last (on top)
    const order = points.map((_, i) => i).sort((a, b) => points[a].score - points[b].score);
    for (const i of order) {
      const p = points[i];
      const text = `#${p.index} · ${fmtScore(p.score)} · ${p.instruction.replace(/\s+/g, " ").slice(0, 300)}`;
      parts.push(
        `<circle class="sim-point h${heatBin(p.score)}${p.chosen ? " chosen" : ""}" data-index="${p.index}" cx="${f1(
          X(xy[i][0]),
        )}" cy="${f1(Y(xy[i][1]))}" r="${p.chosen ? 7 : 5}"><title>${escapeHtml(text)}</title></circle>`,
      );
    }
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}

/** Colours of the map's dots (the heatmap's bins, as fills). */
export function similarityCss(): string {
  const out: string[] = [".chart .sim-point { stroke: #5f6b7a; stroke-width: 0.6; fill-opacity: 0.9; }"];
  for (let k = 0; k <= 10; k++) {
    const t = k / 10;
    const hue = t < 0.5 ? 4 + (50 - 4) * (t / 0.5) : 50 + (130 - 50) * ((t - 0.5) / 0.5);
    out.push(`.chart .sim-point.h${k} { fill: hsl(${hue.toFixed(0)} 62% 55%); }`);
  }
  out.push(".chart .sim-point.chosen { stroke: var(--accent); stroke-width: 3; }");
  return out.join("\n");
}
