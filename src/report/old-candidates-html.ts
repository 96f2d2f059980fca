/**
 * The report's migration section (a run made by `instructzero migrate`): the old run's top candidates
 * on this run's model, each on validation, the selection split and the test split (95% interval), next
 * to the chosen (migrated) instruction.
 */
import { selectionScoreOf } from "../store/selection-score.js";
import { fmtScore, fmtUsd } from "../util/format.js";
import { intervalBar } from "./charts/interval.js";
import { escapeHtml as esc } from "./escape.js";
import type { RunExport } from "./export.js";

const cell = (v: string, cls = "num") => `<td class="${cls}">${v}</td>`;
const score = (x: number | null | undefined) => cell(x === null || x === undefined ? "-" : esc(fmtScore(x)));

/** The section, or "" for a run that is not a migration (or has no old candidates scored yet). */
export function oldCandidatesSection(run: RunExport): string {
  if (run.oldCandidates.length === 0) return "";
  const chosen = run.best;
  // selection examples behind each selection score: the race stops a clearly worse candidate early
  const nOf = (index: number | null | undefined) => selectionScoreOf(run.selection, index).selectionN ?? 0;
  const ns = [...run.oldCandidates.map((c) => c.selectionN ?? 0), nOf(chosen?.index)];
  const most = Math.max(0, ...ns);
  const selection = (x: number | null | undefined, index: number | null | undefined) => {
    const n = nOf(index);
    if (x === null || x === undefined || n === 0 || n >= most) return score(x);
    return cell(
      `${esc(fmtScore(x))} <span class="sel-n" title="over its first ${n} selection examples">(${n})</span>`,
    );
  };
  const fewer = ns.some((n) => n > 0 && n < most);
  const rows = run.oldCandidates.map((c) => {
    const won = c.index !== null && c.index === chosen?.index;
    const t = c.test;
    return `<tr${won ? ' class="chosen"' : ""}>${cell(esc(c.name), "")}${cell(
      `<div>${c.instruction.trim() === "" ? "<em>(empty instruction)</em>" : esc(c.instruction)}</div>`,
      "text",
    )}${score(c.oldScore)}${score(c.validation)}${selection(c.selection, c.index)}${score(t?.score)}${cell(
      t ? esc(`${fmtScore(t.low)} to ${fmtScore(t.high)}`) : "-",
    )}${cell(t ? intervalBar(t, { label: esc(`${c.name}: ${fmtScore(t.score)}`) }) : "", "")}${cell(
      c.usdPer1k === undefined ? "-" : esc(fmtUsd(c.usdPer1k)),
    )}</tr>`;
  });
  const t = chosen?.test;
  rows.push(
    `<tr class="chosen">${cell("migrated prompt (chosen)", "")}${cell(`<div>${esc(chosen?.instruction ?? "")}</div>`, "text")}${score(null)}${score(
      chosen?.score,
    )}${selection(
      run.selection?.candidates.find((c) => c.index === chosen?.index)?.score,
      chosen?.index,
    )}${score(t?.score)}${cell(
      t?.low !== undefined && t.high !== undefined ? esc(`${fmtScore(t.low)} to ${fmtScore(t.high)}`) : "-",
    )}${cell(t ? intervalBar(t, { label: esc(`migrated prompt: ${fmtScore(t.score)}`) }) : "", "")}${cell(
      "-",
    )}</tr>`,
  );
  return `<section id="migration"><h2>Migration: the old run's top candidates on ${esc(run.config.target)}</h2>
<p class="note">This run migrated run ${esc(run.config.migratedFrom ?? "?")} to ${esc(
    run.config.target,
  )} (<code>instructzero migrate</code>). The old run's top candidates (its winner, the old prompt, then the rest of its selection's top ${esc(
    String(run.oldCandidates.length),
  )}) were scored on this model's validation set, joined the selection's candidates and were scored on the chosen instruction's test examples.${
    fewer
      ? ` A selection score with (n) is the mean over its first n selection examples (the selection race dropped that candidate early); the others are over ${esc(String(most))}.`
      : ""
  }</p>
<table id="old-candidates-table"><thead><tr><th>candidate</th><th>instruction</th><th class="num">old model: score</th><th class="num">validation</th><th class="num">selection</th><th class="num">test</th><th class="num">95% CI</th><th>interval</th><th class="num">$ per 1,000 queries</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
</section>`;
}
