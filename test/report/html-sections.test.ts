/**
 * The run report's sections for baselines, verdicts, selection, transfer, the per-iteration distribution,
 * the cumulative cost, the example x instruction heatmap and the readable labels.
 */
import { describe, expect, it } from "vitest";
import { renderChart } from "../../src/report/chart.js";
import { renderCostChart } from "../../src/report/charts/cost.js";
import { quantile, renderDistribution } from "../../src/report/charts/distribution.js";
import { heatBin, renderHeatmap } from "../../src/report/charts/heatmap.js";
import { intervalBar } from "../../src/report/charts/interval.js";
import { escapeHtml } from "../../src/report/escape.js";
import { exportRun, type RunExport } from "../../src/report/export.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { configLabel, configRows, humanize, totalLabel, totalsRows } from "../../src/report/labels.js";
import { openLedger } from "../../src/store/ledger.js";
import { fillRun } from "../store/synthetic.js";
import { BASELINES, INSTRUCTIONS, makeInjectedRun, N_EVALS, PAYLOADS, TRANSFER } from "./fixture.js";

function injectedExport(): RunExport {
  const ledger = openLedger(":memory:");
  const exp = exportRun(ledger, makeInjectedRun(ledger));
  ledger.close();
  return exp;
}

/** The markup of the `<tag ... id="id">` element up to its closing tag (no nesting of the same tag inside). */
function element(html: string, tag: string, id: string): string {
  const at = html.indexOf(` id="${id}"`);
  expect(at, `#${id}`).toBeGreaterThanOrEqual(0);
  const start = html.lastIndexOf(`<${tag}`, at);
  expect(html.slice(start, at)).not.toContain(">");
  return html.slice(start, html.indexOf(`</${tag}>`, start) + tag.length + 3);
}

/** Visible text of a page: no style element, no tags, no attribute values, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/g, " ")
    .replace(/<title>[\s\S]*?<\/title>/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;

describe("baselines on the best-so-far chart", () => {
  it("draws one labelled horizontal line per baseline at its validation score", () => {
    const svg = renderChart({
      scores: [0.2, 0.5, 0.9],
      bestSoFar: [0.2, 0.5, 0.9],
      iterations: [0, 0, 1],
      baselines: [
        { name: "no instruction", score: 0.25 },
        { name: PAYLOADS.script, score: 0.5 },
        { name: "twin", score: 0.5 },
      ],
    });
    const lines = [...svg.matchAll(/<line class="baseline-line"[^>]* y1="([\d.]+)" y2="([\d.]+)"\/>/g)];
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l[1]).toBe(l[2]); // horizontal
    expect(Number(lines[0][1])).toBeLessThan(Number(lines[2][1])); // 0.5 above 0.25
    const labels = [...svg.matchAll(/<text class="baseline-label"[^>]* y="([\d.]+)"[^>]*>([^<]*)<\/text>/g)];
    expect(labels.map((m) => m[2])).toEqual([
      `${escapeHtml(PAYLOADS.script)} 0.500`,
      "twin 0.500",
      "no instruction 0.250",
    ]);
    // equal scores: the labels are moved apart
    expect(Math.abs(Number(labels[0][1]) - Number(labels[1][1]))).toBeGreaterThanOrEqual(12);
    expect(svg).not.toContain("<script");
  });

  it("shows the run's baselines, the extra candidates and the empty instruction in the report", () => {
    const html = renderHtmlReport(injectedExport());
    const chart = element(html, "svg", "progress-chart");
    expect(count(chart, /<line class="baseline-line"/g)).toBe(BASELINES.length);
    expect(chart).toContain(">no instruction 0.250</text>");
    expect(chart).toContain(">human instruction 0.500</text>");
    expect(chart).toContain(`>${escapeHtml(BASELINES[2].name)} 0.750</text>`);
    expect(count(chart, /<circle class="eval-point/g)).toBe(N_EVALS);
    expect(count(chart, /<circle class="eval-point[^"]* init/g)).toBe(2);
    expect(count(chart, /<circle class="eval-point[^"]* empty-instruction/g)).toBe(1);
    expect(chart).toContain(">extra</text>");
  });
});

describe("verdict and baseline cards", () => {
  it("states each comparison in words and shows the winner's and each baseline's test interval", () => {
    const html = renderHtmlReport(injectedExport());
    const verdict = element(html, "section", "verdict");
    // near the top: before the chosen instruction and the charts
    expect(html.indexOf('<section id="verdict"')).toBeLessThan(html.indexOf('<section id="best"'));
    const items = [...verdict.matchAll(/<li class="verdict-([a-z]+)">([^<]*)<\/li>/g)];
    expect(items.map((m) => m[1])).toEqual(["indistinguishable", "better"]);
    expect(items[0][2]).toBe(
      "The chosen instruction is not distinguishable from no instruction (difference +0.50, 95% CI +0.00 to +1.00).",
    );
    expect(items[1][2]).toContain(escapeHtml(`better than ${BASELINES[2].name} by +0.50`));
    const winner = verdict.slice(
      verdict.indexOf('id="winner-card"'),
      verdict.indexOf('<div class="card baseline-card">'),
    );
    expect(winner).toContain("95% CI 0.000 to 1.000");
    expect(count(winner, /class="interval-bar"/g)).toBe(1);
    expect(count(verdict, /<div class="card baseline-card">/g)).toBe(3);
    expect(verdict).toContain("95% CI 0.000 to 0.000"); // no instruction
    expect(verdict).toContain("not scored on the test split"); // the user's baseline has no test
    expect(verdict).toContain(escapeHtml(PAYLOADS.img)); // its instruction, as text
    // interval bars: the winner and the two baselines with a test score
    expect(count(verdict, /class="interval-bar"/g)).toBe(3);
    expect(element(html, "section", "notes")).toContain(
      "the validation split has 4 examples, not 20 He said &quot;hi&quot;",
    );
  });

  it("leaves the verdict, selection and transfer sections out for a run without them", () => {
    const ledger = openLedger(":memory:");
    const html = renderHtmlReport(exportRun(ledger, fillRun(ledger, 6)));
    ledger.close();
    for (const id of ["verdict", "selection", "transfer", "notes"])
      expect(html).not.toContain(`<section id="${id}"`);
    expect(html).not.toContain('class="baseline-line"');
    expect(html).toContain('id="heatmap-table"');
  });
});

describe("selection and candidate marks", () => {
  it("lists the selection split's scores with the winner marked", () => {
    const html = renderHtmlReport(injectedExport());
    const table = element(html, "table", "selection-table");
    expect(table).toContain('<th class="num">selection score</th>');
    const rows = table.split("<tr").slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^ class="chosen"/);
    expect(rows[0]).toContain('<span class="tag tag-winner">winner</span>');
    expect(rows[0]).toContain(escapeHtml(PAYLOADS.script));
    expect(rows[0]).toMatch(/<td class="num">1\.000<\/td><td class="num">0\.667<\/td><\/tr>/);
    expect(rows[2]).toContain("extra candidate");
    expect(rows[2]).toContain(escapeHtml(INSTRUCTIONS.init));
    expect(element(html, "section", "selection")).toContain("scored again on 3 fresh examples");
  });

  it("says so when the run fell back to the validation rule", () => {
    const exp = injectedExport();
    exp.selection = {
      rule: "validation",
      size: 0,
      winner: 9,
      note: `too few examples for a selection split ${PAYLOADS.titleBreak}`,
      candidates: [{ index: 9, instruction: PAYLOADS.script, validationScore: 1, score: 1, scores: [] }],
    };
    const html = renderHtmlReport(exp);
    expect(element(html, "p", "selection-note")).toContain(
      escapeHtml(`too few examples for a selection split ${PAYLOADS.titleBreak}`),
    );
    expect(element(html, "section", "selection")).toContain("best validation score (the paper's rule)");
    expect(element(html, "table", "selection-table")).not.toContain("selection score");
  });

  it("marks extra candidates and empty instructions in the instruction and evaluation tables", () => {
    const html = renderHtmlReport(injectedExport());
    const instructions = element(html, "table", "instruction-table");
    expect(count(instructions, /tag-init/g)).toBe(2);
    expect(count(instructions, /tag-empty/g)).toBe(1);
    expect(instructions).toContain("<em>(empty instruction)</em>");
    const evaluations = element(html, "table", "evaluation-table");
    expect(count(evaluations, /tag-init/g)).toBe(2);
    expect(count(evaluations, /tag-empty/g)).toBe(1);
    expect(evaluations).toContain('<th class="num">judge cost</th>');
  });
});

describe("transfer table", () => {
  it("has one row per target and instruction, escaped", () => {
    const html = renderHtmlReport(injectedExport());
    const table = element(html, "table", "transfer-table");
    const rows = table.split("<tr").slice(2);
    expect(rows).toHaveLength(TRANSFER.length);
    expect(rows[0]).toContain(escapeHtml(TRANSFER[0].target));
    expect(rows[0]).toContain("0.000 to 1.000");
    expect(rows[1]).toContain("<em>(empty instruction)</em>");
    expect(rows[2]).toContain("anthropic:claude-3-5-haiku-latest");
    expect(table).not.toMatch(/<img|<script/);
  });
});

describe("migration section", () => {
  it("lists the old run's top candidates on the new model, escaped, the chosen one marked", () => {
    const exp = injectedExport();
    expect(renderHtmlReport(exp)).not.toContain('id="migration"');
    const chosen = exp.best!;
    const run: RunExport = {
      ...exp,
      config: { ...exp.config, migratedFrom: "old-run-1" },
      oldCandidates: [
        {
          name: "old prompt",
          instruction: PAYLOADS.script,
          oldIndex: 7,
          oldScore: 0.9,
          index: chosen.index,
          validation: 0.8,
          selection: 0.75,
          selectionN: 3,
          test: { score: 0.7, scores: [1, 0], low: 0.2, high: 0.95 },
          usdPer1k: 0.0123,
        },
        {
          name: "old candidate 2",
          instruction: "",
          oldIndex: 3,
          oldScore: 0.85,
          index: null,
          validation: null,
          selection: null,
          selectionN: null,
          test: null,
        },
      ],
    };
    const html = renderHtmlReport(run);
    const section = element(html, "section", "migration");
    expect(section).toContain("old-run-1");
    const rows = element(section, "table", "old-candidates-table").split("<tr").slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain(' class="chosen"');
    expect(rows[0]).toContain(escapeHtml(PAYLOADS.script));
    expect(rows[0]).not.toContain(PAYLOADS.script);
    expect(rows[0]).toContain("0.200 to 0.950");
    expect(rows[0]).toContain("$0.0123");
    expect(rows[1]).toContain("<em>(empty instruction)</em>");
    expect(rows[1]).not.toContain("chosen");
    expect(rows[2]).toContain("migrated prompt (chosen)");
    expect(section).not.toMatch(/<img|<script/);
  });
});

describe("per-iteration distribution", () => {
  it("draws a box and the points of each iteration", () => {
    const svg = renderDistribution([
      { label: "initial", scores: [0, 0.5, 1, 0.5] },
      { label: "1", scores: [0.75] },
      { label: PAYLOADS.script, scores: [] },
    ]);
    expect(count(svg, /<g class="dist-group">/g)).toBe(3);
    expect(count(svg, /<rect class="dist-box"/g)).toBe(2);
    expect(count(svg, /<circle class="dist-point/g)).toBe(5);
    expect(svg).toContain(escapeHtml(PAYLOADS.script));
    expect(svg).not.toContain("NaN");
    expect(quantile([0, 1, 2, 3], 0.5)).toBe(1.5);
    expect(quantile([1, 2, 3], 0.25)).toBe(1.5);
  });

  it("groups the run's evaluations by iteration, extra candidates apart", () => {
    const html = renderHtmlReport(injectedExport());
    const svg = element(html, "svg", "distribution-chart");
    expect(count(svg, /<circle class="dist-point/g)).toBe(N_EVALS);
    expect(
      [...svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]*)<\/text>/g)].map(
        (m) => m[1],
      ),
    ).toEqual(["initial", "1", "2", "extra"]);
  });
});

describe("cumulative cost", () => {
  it("draws the running sum of black-box and judge dollars, one vertex per evaluation", () => {
    const svg = renderCostChart({ costUsd: [0.01, 0, 0.02], judgeCostUsd: [0, 0.01, 0], calls: [4, 0, 4] });
    const pts = (cls: string) =>
      /<polyline class="([^"]+)" points="([^"]*)"/g.exec(svg) &&
      [...svg.matchAll(/<polyline class="([^"]+)" points="([^"]*)"/g)]
        .find((m) => m[1] === cls)?.[2]
        .split(" ");
    const total = pts("cost-total")!;
    const bb = pts("cost-blackbox")!;
    expect(total).toHaveLength(3);
    expect(bb).toHaveLength(3);
    const ys = total.map((p) => Number(p.split(",")[1]));
    expect(ys[1]).toBeLessThan(ys[0]); // the judge's dollar counts
    expect(Number(bb[1].split(",")[1])).toBe(Number(bb[0].split(",")[1]));
    expect(svg).toContain("$0.04"); // end of the axis
    expect(svg).toContain(">$0.0400</text>"); // last value
  });

  it("counts calls when nothing was paid", () => {
    const svg = renderCostChart({ costUsd: [0, 0], calls: [3, 5] });
    expect(svg).toContain('class="calls-total"');
    expect(svg).not.toContain("cost-total");
    expect(svg).toContain(">8 calls</text>");
    expect(renderCostChart({ costUsd: [], calls: [] })).toContain("no evaluations yet");
  });

  it("is in the report with a vertex per evaluation", () => {
    const html = renderHtmlReport(injectedExport());
    const svg = element(html, "svg", "cost-chart");
    const total = /<polyline class="cost-total" points="([^"]*)"/.exec(svg)?.[1].split(" ");
    expect(total).toHaveLength(N_EVALS);
    expect(svg).toContain('class="cost-blackbox"'); // evaluation 11 paid a judge
  });
});

describe("example x instruction heatmap", () => {
  it("has the top 10 distinct instructions as rows and the validation examples as columns", () => {
    const exp = injectedExport();
    expect(exp.instructions.length).toBeGreaterThan(10);
    const html = renderHtmlReport(exp);
    const table = element(html, "table", "heatmap-table");
    expect(html).toContain('<div class="scroll heatmap-scroll"><table id="heatmap-table"');
    const rows: string[] = table.match(/<tr class="heatmap-row[^"]*">[\s\S]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(10);
    const nCols = exp.validationExamples!.length;
    for (const r of rows) expect(count(r, /<td class="cell /g)).toBe(nCols);
    expect(count(table, /<th class="col"/g)).toBe(nCols);
    // rows are the best instructions, best first; the winner on top with its cells
    expect(rows[0]).toContain(escapeHtml(PAYLOADS.script));
    expect(rows[0]).toMatch(/^<tr class="heatmap-row chosen">/);
    expect(count(rows[0], /<td class="cell h10"/g)).toBe(4);
    const scores = rows.map((r) => Number(/<td class="num score">([\d.]+)<\/td>/.exec(r)?.[1]));
    expect(scores).toEqual(exp.instructions.slice(0, 10).map((s) => Number(s.score.toFixed(3))));
    // untrusted text in the rows and the column tooltips is escaped
    expect(table).toContain(escapeHtml(INSTRUCTIONS.styled));
    expect(table).toContain(
      `title="example 1: ${escapeHtml(PAYLOADS.quotes)} → ${escapeHtml(PAYLOADS.img)}"`,
    );
    expect(table).not.toMatch(/<img|<script|<\/style>/);
    // the footer: each example's mean over the rows
    expect(count(table.slice(table.indexOf("<tfoot>")), /<td class="cell /g)).toBe(nCols);
  });

  it("copes with many columns and missing scores", () => {
    const html = renderHeatmap(
      [
        { instruction: "a", score: 0.5, scores: Array.from({ length: 60 }, (_, i) => i % 2), index: 0 },
        { instruction: "", score: 0, scores: [], index: 1, empty: true },
      ],
      [],
    );
    expect(count(html, /<th class="col"/g)).toBe(60);
    expect(count(html, /<td class="cell none"/g)).toBe(60 + 0);
    expect(html).toContain("<em>(empty instruction)</em>");
    expect([heatBin(-1), heatBin(0.04), heatBin(0.5), heatBin(2), heatBin(Number.NaN)]).toEqual([
      0, 0, 5, 10, 0,
    ]);
  });
});

describe("readable labels", () => {
  it("maps totals and config keys to words", () => {
    expect(totalLabel("wallMs")).toBe("wall time");
    expect(totalLabel("costUsd")).toBe("black-box cost");
    expect(totalLabel("totalCostUsd")).toBe("total cost");
    expect(totalLabel("lostCalls")).toBe("requests lost in a crash (counted as paid)");
    expect(totalLabel("fooBarMs")).toBe("foo bar (time)");
    expect(humanize("someNewUsd")).toBe("some new (USD)");
    expect(humanize("maxHTTPRetries")).toBe("max http retries");
    expect(configLabel("nTokens")).toBe("soft-prompt tokens");
    expect(configLabel("somethingNew")).toBe("something new");
    expect(totalsRows({ wallMs: 65_000, costUsd: 0.5, calls: 3, newThing: 7 })).toEqual([
      ["black-box calls", "3"],
      ["black-box cost", "$0.5000"],
      ["wall time", "1 min 05 s"],
      ["new thing", "7"],
    ]);
    const rows = configRows({
      task: "t",
      test: true,
      baselines: ["a", "b"],
      validationSize: 4,
      taskFile: "/x.jsonl",
    });
    expect(rows).toEqual([
      { section: "task", key: "task", label: "task", flag: "--task", value: "t" },
      {
        section: "task",
        key: "validationSize",
        label: "validation examples",
        flag: "--validation-size",
        value: "4",
      },
      {
        section: "results",
        key: "baselines",
        label: "your baselines",
        flag: "--baseline / --baseline-file",
        value: "a\nb",
      },
      { section: "limits", key: "test", label: "score on the test split", flag: "--no-test", value: "yes" },
      { section: "derived", key: "taskFile", label: "task file", flag: null, value: "/x.jsonl" },
    ]);
  });

  it("shows no raw field names in the report's visible text", () => {
    const html = renderHtmlReport(injectedExport());
    const text = visibleText(html);
    expect(text).toContain("wall time");
    expect(text).toContain("black-box cost");
    expect(text).toContain("--validation-size");
    // no camelCase key (wallMs, costUsd, nTokens, validationSize, judgeCostUsd ...) anywhere in the text
    expect(text.match(/\b[a-z]+[A-Z][a-z][A-Za-z]*\b/g)).toBeNull();
  });
});

describe("interval bar", () => {
  it("draws the estimate, the interval and the dots on the scale", () => {
    const svg = intervalBar({ score: 0.5, low: 0.25, high: 0.75 }, { width: 110, dots: [0, 1] });
    expect(svg).toContain('<line class="ci" x1="30.0" x2="80.0"');
    expect(svg).toContain('<circle class="estimate" cx="55.0"');
    expect(count(svg, /<circle class="dot"/g)).toBe(2);
    expect(intervalBar({ score: 0.5 })).not.toContain('class="ci"');
    expect(intervalBar({ score: 2, low: -1, high: 3 })).not.toMatch(/-\d|NaN/); // clamped
  });
});
