/** The sweep report page (`instructzero bench --html FILE`): rows, intervals, win/tie/loss, escaping. */
import { describe, expect, it } from "vitest";
import { summarizeSweep } from "../../src/optimizers/sweep.js";
import { escapeHtml } from "../../src/report/escape.js";
import { meanSe, renderSweepHtml } from "../../src/report/sweep-html.js";
import { PAYLOADS } from "./fixture.js";
import { makeSweepCells, SWEEP_METHODS, SWEEP_TASKS, USER_BASELINE } from "./sweep-fixture.js";

function page(): string {
  const cells = makeSweepCells();
  return renderSweepHtml(cells, summarizeSweep(cells), {
    methods: [...SWEEP_METHODS],
    generatedAt: "2026-11-21T12:00:00.000Z",
    producer: "instructzero 9.9.9",
  });
}

/** The `<table id="id">` element. */
function table(html: string, id: string): string {
  const start = html.indexOf(`<table class="sweep-table" id="${id}"`);
  expect(start, id).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</table>", start));
}

const bodyRows = (t: string): string[] =>
  t.slice(t.indexOf("<tbody>")).match(/<tr[^>]*>[\s\S]*?<\/tr>/g) ?? [];
const wtl = (row: string) =>
  [
    ...row.matchAll(
      /<span class="win">(\d+)<\/span> \/ <span class="tie">(\d+)<\/span> \/ <span class="loss">(\d+)<\/span>/g,
    ),
  ].map((m) => `${m[1]}/${m[2]}/${m[3]}`);

describe("renderSweepHtml", () => {
  it("shows, per task, each method's mean ± s.e. with an interval bar and win/tie/loss per baseline", () => {
    const html = page();
    const t0 = table(html, "sweep-task-0");
    expect(t0).toContain("vs no instruction");
    expect(t0).toContain(`vs ${escapeHtml(USER_BASELINE)}`);
    const rows = bodyRows(t0);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => /<td>([^<]*)<\/td>/.exec(r)?.[1])).toEqual(["instructzero", "uniform", "ape"]);
    // instructzero 0.7/0.8/0.9: mean 0.8, s.e. 0.1/sqrt(3)
    expect(rows[0]).toContain('<td class="num mean">0.800 ± 0.058</td>');
    expect(rows[0]).toMatch(/^<tr class="method-row top">/); // best mean of the task
    expect(rows[0]).toContain('<td class="num">3 / 3</td>');
    expect(rows[2]).toContain('<td class="num">2 / 3</td>'); // one failed seed
    expect(rows[2]).toContain('<td class="num mean">0.450 ± 0.050</td>');
    // bars: the interval (mean ± s.e.) and one dot per seed with a score
    for (const r of rows) expect(r.match(/class="interval-bar"/g)).toHaveLength(1);
    expect(rows[0].match(/<circle class="dot"/g)).toHaveLength(3);
    expect(rows[2].match(/<circle class="dot"/g)).toHaveLength(2);
    expect(rows[0]).toContain('<line class="ci"');
    // win / tie / loss against each baseline
    expect(wtl(rows[0])).toEqual(["3/0/0", "0/3/0"]);
    expect(wtl(rows[1])).toEqual(["1/2/0", "0/3/0"]);
    expect(wtl(rows[2])).toEqual(["0/1/1", "0/2/0"]);
    expect(rows[0]).toContain('title="3 wins, 0 ties, 0 losses"');
    // the second task has no user baseline: "-"
    const t1 = bodyRows(table(html, "sweep-task-1"));
    expect(wtl(t1[0])).toEqual(["3/0/0"]);
    expect(t1[0]).toContain('<td class="wtl">-</td>');
  });

  it("averages over tasks and sums win/tie/loss per method", () => {
    const html = page();
    const rows = bodyRows(table(html, "sweep-overall"));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('<td class="num">0.800</td>');
    expect(wtl(rows[0])).toEqual(["6/0/0", "0/3/0"]);
    expect(wtl(rows[2])).toEqual(["0/2/2", "0/2/0"]);
    expect(html).toContain("2 tasks × 3 methods × seeds 0, 1, 2 · 18 runs · 1,800 black-box calls · $0.1800");
    expect(html).toContain("2026-11-21 12:00 UTC");
    expect(html).toContain('id="incomplete"');
    expect(html).toContain("2 runs did not complete (failed)");
    expect(html.match(/<section class="task"/g)).toHaveLength(SWEEP_TASKS.length);
    expect((html.match(/<tbody>[\s\S]*?<\/tbody>/g) ?? []).at(-1)?.match(/<tr>/g)).toHaveLength(18);
  });

  it("escapes task, baseline and run names and loads nothing", () => {
    const html = page();
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain(`<h3>${escapeHtml(SWEEP_TASKS[1])}</h3>`);
    expect(html).toContain(escapeHtml(PAYLOADS.img));
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    const tags = html.match(/<[^>]*>/g) ?? [];
    expect(tags[0]).toBe("<!DOCTYPE html>");
    for (const tag of tags.slice(1)) {
      const names = tag.replace(/="[^"]*"/g, "=");
      expect(names).toMatch(/^<\/?[a-zA-Z][\w-]*(\s+[\w:-]+=?)*\s*\/?>$/);
      expect(names).not.toMatch(/\s(src|href|action|srcset|style|on[a-z]+)=/i);
    }
    const markup = tags.join(" ").replace(/\s(title|aria-label)="[^"]*"/g, "");
    expect(new Set(markup.match(/https?:\/\/[^\s"<]*/g))).toEqual(new Set(["http://www.w3.org/2000/svg"]));
  });

  it("renders an empty sweep and formats mean ± s.e.", () => {
    const html = renderSweepHtml([], []);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("No runs.");
    expect(meanSe({ mean: 0.5, se: null })).toBe("0.500");
    expect(meanSe({ mean: null, se: null })).toBe("-");
    expect(meanSe(undefined)).toBe("-");
  });
});
