/**
 * Example x instruction heatmap: one row per instruction, one column per validation example, each cell
 * coloured by that instruction's score on that example. An HTML table (in a horizontally scrolling
 * container, the instruction column kept in view), so it stays readable with many examples.
 */

import { fmtScore } from "../../util/format.js";
import { escapeHtml as esc } from "../escape.js";

/** One instruction of the heatmap. */
export interface HeatmapRow {
  instruction: string;
  /** Mean validation score. */
  score: number;
  /** Per validation example (missing entries are drawn blank). */
  scores: readonly number[];
  /** Evaluation index (first evaluation of this instruction). */
  index: number;
  chosen?: boolean;
  init?: boolean;
  empty?: boolean;
}

/** One validation example (column). */
export interface HeatmapColumn {
  input: string | null;
  answers: readonly string[] | null;
}

/** Colour bins of the cells: `h0` (score <= 0) to `h10` (score >= 1), red through yellow to green. */
export function heatmapCss(): string {
  const out: string[] = [];
  for (let k = 0; k <= 10; k++) {
    const t = k / 10;
    // hue 4 (red) -> 50 (yellow) -> 130 (green); lightness kept light enough for dark text
    const hue = t < 0.5 ? 4 + (50 - 4) * (t / 0.5) : 50 + (130 - 50) * ((t - 0.5) / 0.5);
    out.push(`.heatmap td.h${k} { background: hsl(${hue.toFixed(0)} 62% ${t === 0.5 ? 78 : 80}%); }`);
  }
  return out.join("\n");
}

/** Bin of a score (clamped to 0..1). */
export function heatBin(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.round(Math.min(1, Math.max(0, score)) * 10);
}

/** A cell's short text: "1", "0", ".67". */
function short(score: number): string {
  if (Number.isInteger(score)) return String(score);
  return score.toFixed(2).replace(/^(-?)0\./, "$1.");
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Small tags for an instruction: chosen, extra candidate, empty. */
export function instructionTags(r: { chosen?: boolean; init?: boolean; empty?: boolean }): string {
  return [
    r.chosen ? `<span class="tag tag-winner">winner</span>` : "",
    r.init
      ? `<span class="tag tag-init" title="given by you (--init-instructions)">extra candidate</span>`
      : "",
    r.empty
      ? `<span class="tag tag-empty" title="the generator wrote nothing usable: scored 0 without any call">empty</span>`
      : "",
  ].join("");
}

/**
 * `<table id="heatmap-table">` inside a scrolling `<div class="scroll">`: a header row of example
 * numbers (input and answers in the tooltip), one `tr.heatmap-row` per instruction (rank and
 * instruction in a `th.instr` that stays in view when scrolling, score, one `td.cell` per example) and a
 * footer with each example's mean over the rows.
 */
export function renderHeatmap(rows: readonly HeatmapRow[], columns: readonly HeatmapColumn[]): string {
  const nCols = Math.max(columns.length, ...rows.map((r) => r.scores.length), 0);
  const head = Array.from({ length: nCols }, (_, j) => {
    const c = columns[j];
    const tip = c
      ? `example ${j + 1}${c.input !== null ? `: ${cut(c.input, 300)}` : ""}${c.answers ? ` → ${cut(c.answers.join(" | "), 200)}` : ""}`
      : `example ${j + 1}`;
    return `<th class="col" title="${esc(tip)}">${j + 1}</th>`;
  }).join("");
  const body = rows
    .map((r, i) => {
      const cells = Array.from({ length: nCols }, (_, j) => {
        const s = r.scores[j];
        if (s === undefined || !Number.isFinite(s)) return `<td class="cell none" title="not scored">·</td>`;
        return `<td class="cell h${heatBin(s)}" title="${esc(`example ${j + 1}: score ${fmtScore(s)}`)}">${short(s)}</td>`;
      }).join("");
      const text =
        r.empty || r.instruction.trim() === ""
          ? "<em>(empty instruction)</em>"
          : esc(cut(r.instruction.replace(/\s+/g, " ").trim(), 90));
      return `<tr class="heatmap-row${r.chosen ? " chosen" : ""}"><th class="instr" title="${esc(
        cut(r.instruction, 1000),
      )}"><span class="rank">${i + 1}</span> ${instructionTags(r)}${text}</th><td class="num score">${esc(
        fmtScore(r.score),
      )}</td>${cells}</tr>`;
    })
    .join("\n");
  const means = Array.from({ length: nCols }, (_, j) => {
    const xs = rows.map((r) => r.scores[j]).filter((s): s is number => s !== undefined && Number.isFinite(s));
    if (xs.length === 0) return `<td class="cell none">·</td>`;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `<td class="cell h${heatBin(m)}" title="${esc(`example ${j + 1}: mean ${fmtScore(m)} over these instructions`)}">${short(
      Number(m.toFixed(2)),
    )}</td>`;
  }).join("");
  return `<div class="scroll heatmap-scroll"><table id="heatmap-table" class="heatmap">
<thead><tr><th class="instr">instruction (best first) · example →</th><th class="num">score</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
<tfoot><tr><th class="instr">mean over these instructions</th><td></td>${means}</tr></tfoot>
</table></div>`;
}
