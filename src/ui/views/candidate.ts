/**
 * A candidate's page: its instruction, how it came (iteration, reused, extra candidate), its numbers,
 * every validation example (input, expected, answer, score, the metric's feedback: the report's own
 * table), and its soft prompt's nearest neighbours among the run's other candidates.
 */
import { instructionTags } from "../../report/charts/heatmap.js";
import { escapeHtml as esc } from "../../report/escape.js";
import type { ExampleResult } from "../../report/export.js";
import { examplesTable } from "../../report/html.js";
import type { EvaluationRecord, RunRecord } from "../../store/types.js";
import { fmtInt, fmtScore, fmtUsd } from "../../util/format.js";
import { type PageContext, uiPage } from "./layout.js";

/** A neighbour of a candidate's soft prompt. */
export interface Neighbour {
  index: number;
  instruction: string;
  score: number;
  /** Euclidean distance between the soft prompts. */
  distance: number;
}

/** The `k` evaluations whose soft prompts are nearest to `e`'s (distinct instructions, `e`'s own apart). */
export function softPromptNeighbours(
  e: Pick<EvaluationRecord, "index" | "z" | "instruction">,
  all: readonly Pick<EvaluationRecord, "index" | "z" | "instruction" | "score">[],
  k = 8,
): Neighbour[] {
  const z = e.z;
  if (!z) return [];
  const seen = new Set<string>([e.instruction]);
  return all
    .filter((o) => o.z && o.z.length === z.length && o.index !== e.index)
    .map((o) => ({
      index: o.index,
      instruction: o.instruction,
      score: o.score,
      distance: Math.sqrt(o.z!.reduce((a, v, j) => a + (v - z[j]) ** 2, 0)),
    }))
    .sort((a, b) => a.distance - b.distance || a.index - b.index)
    .filter((n) => {
      if (seen.has(n.instruction)) return false;
      seen.add(n.instruction);
      return true;
    })
    .slice(0, k);
}

const card = (k: string, v: string) =>
  `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`;

/** The candidate page. */
export function renderCandidatePage(
  ctx: PageContext,
  o: {
    run: RunRecord;
    evaluation: EvaluationRecord;
    examples: ExampleResult[];
    neighbours: Neighbour[];
    chosenIndex: number | null;
    total: number;
  },
): string {
  const { run, evaluation: e } = o;
  const runHref = `/runs/${encodeURIComponent(run.id)}`;
  const tags = instructionTags({
    chosen: e.index === o.chosenIndex,
    init: e.origin === "init",
    empty: Boolean(e.empty),
  });
  const how =
    e.origin === "init"
      ? "an extra candidate you gave"
      : e.iteration === 0
        ? "the initial design"
        : `iteration ${e.iteration}`;
  const nav = [
    e.index > 0
      ? `<a href="${esc(`${runHref}/candidates/${e.index - 1}`)}" rel="prev">← evaluation ${e.index - 1}</a>`
      : "",
    e.index + 1 < o.total
      ? `<a href="${esc(`${runHref}/candidates/${e.index + 1}`)}" rel="next">evaluation ${e.index + 1} →</a>`
      : "",
  ]
    .filter(Boolean)
    .join(" · ");
  const neighbours =
    o.neighbours.length > 0
      ? `<table id="neighbours-table"><thead><tr><th class="num">evaluation</th><th class="num">distance</th><th class="num">score</th><th>instruction</th></tr></thead><tbody>
${o.neighbours
  .map(
    (n) =>
      `<tr><td class="num"><a href="${esc(`${runHref}/candidates/${n.index}`)}">${n.index}</a></td><td class="num">${esc(
        n.distance.toFixed(3),
      )}</td><td class="num">${esc(fmtScore(n.score))}</td><td class="text"><div>${esc(n.instruction)}</div></td></tr>`,
  )
  .join("\n")}
</tbody></table>`
      : `<p class="note">${e.z ? "No other candidate has a soft prompt." : "This candidate has no soft prompt (APE proposals and extra candidates are written, not generated)."}</p>`;
  const body = `<header>
<p class="meta"><a href="${esc(runHref)}">run ${esc(run.id)}</a> · task <strong>${esc(run.config.task)}</strong> · ${nav}</p>
<h1>Evaluation ${esc(String(e.index))} (${esc(how)})</h1>
</header>
<section id="candidate-instruction"><h2>Instruction</h2>
<blockquote class="instruction" id="instruction">${e.empty || e.instruction.trim() === "" ? "<em>(empty instruction)</em>" : esc(e.instruction)}</blockquote>
<p class="note">${tags}${e.reused ? "Reused: the same instruction was scored earlier in the run (not re-queried)." : ""}</p>
</section>
<section id="candidate-summary"><div class="cards">
${card("validation score", fmtScore(e.score))}
${card("examples scored", `${fmtInt(e.scores.length)}${e.scored !== undefined ? " (stopped early)" : ""}`)}
${card("black-box calls", fmtInt(e.calls))}
${card("cache hits", fmtInt(e.cacheHits))}
${card("cost", fmtUsd(e.costUsd + (e.judge?.costUsd ?? 0)))}
</div></section>
<section id="candidate-examples"><h2>Every validation example</h2>
${o.examples.length > 0 ? examplesTable("candidate-examples-table", o.examples) : '<p class="note">No example scored.</p>'}
</section>
<section id="candidate-neighbours"><h2>Nearest soft prompts</h2>
${neighbours}
</section>`;
  return uiPage(ctx, { title: `instructzero · ${run.id} · evaluation ${e.index}`, body, active: "runs" });
}
