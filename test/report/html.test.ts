import { describe, expect, it } from "vitest";
import { renderChart } from "../../src/report/chart.js";
import { escapeHtml } from "../../src/report/escape.js";
import { exportRun } from "../../src/report/export.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { openLedger } from "../../src/store/ledger.js";
import { fillRun } from "../store/synthetic.js";
import { makeInjectedRun, N_EVALS, PAYLOADS } from "./fixture.js";

function injectedReport(): string {
  const ledger = openLedger(":memory:");
  const html = renderHtmlReport(exportRun(ledger, makeInjectedRun(ledger)));
  ledger.close();
  return html;
}

describe("escapeHtml", () => {
  it("escapes markup characters and control characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(escapeHtml("a\u0000b\u001bc\nd\te")).toBe("a\ufffdb\ufffdc\nd\te");
    expect(escapeHtml("plain text")).toBe("plain text");
  });
});

describe("renderChart", () => {
  it("draws one point and one curve vertex per evaluation, and iteration boundaries", () => {
    const svg = renderChart({
      scores: [0.2, 0.5, 0.4, 0.9, 0.1],
      bestSoFar: [0.2, 0.5, 0.5, 0.9, 0.9],
      iterations: [0, 0, 1, 1, 2],
      reused: [false, false, false, false, true],
    });
    expect(svg.match(/<circle class="eval-point/g)).toHaveLength(5);
    expect(svg.match(/<circle class="eval-point reused"/g)).toHaveLength(1);
    const points = /<polyline class="best-so-far" points="([^"]*)"/.exec(svg)?.[1].split(" ");
    expect(points).toHaveLength(5);
    const ys = points!.map((p) => Number(p.split(",")[1]));
    expect(ys[3]).toBeLessThan(ys[0]); // higher score = higher up
    expect(ys[3]).toBe(ys[4]);
    expect(svg.match(/class="iteration-boundary"/g)).toHaveLength(2);
  });

  it("handles an empty run and a single evaluation", () => {
    expect(renderChart({ scores: [], bestSoFar: [], iterations: [] })).toContain("no evaluations yet");
    const one = renderChart({ scores: [0.5], bestSoFar: [0.5], iterations: [0] });
    expect(one).not.toContain("NaN");
    expect(one.match(/<circle class="eval-point/g)).toHaveLength(1);
  });
});

describe("renderHtmlReport", () => {
  it("escapes every untrusted string: no markup from the task, the config or model output survives", () => {
    const html = injectedReport();
    expect(html.match(/<script/gi)).toBeNull();
    expect(html.match(/<\/style>/g)).toHaveLength(1);
    expect(html.match(/<style>/g)).toHaveLength(1);
    const head = html.slice(0, html.indexOf("</head>"));
    expect(head.match(/<\/title>/g)).toHaveLength(1);
    expect(head.match(/<[a-z]+/g)).toEqual([
      "<html",
      "<head",
      "<meta",
      "<meta",
      "<meta",
      "<meta",
      "<title",
      "<style",
    ]);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain("\u001b");
    expect(html).toContain(escapeHtml(PAYLOADS.script));
    expect(html).toContain("He said &quot;hi&quot; &amp; she said &#39;bye&#39;");
    expect(html).toContain("&lt;/style&gt;&lt;style&gt;body{display:none}&lt;/style&gt;");
    expect(html).toContain("<title>instructzero · antonyms &lt;/title&gt;&lt;script&gt;");
  });

  it("is self-contained: no external reference, a CSP that forbids loading anything", () => {
    const html = injectedReport();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    // Escaped text cannot contain "<", so every "<..>" is markup the report wrote itself. Untrusted text
    // in attribute values (tooltips) is escaped too: it cannot contain a '"', so stripping the quoted
    // values leaves exactly the attribute names the report wrote.
    const tags = html.match(/<[^>]*>/g) ?? [];
    expect(tags.length).toBeGreaterThan(100);
    expect(tags[0]).toBe("<!DOCTYPE html>");
    for (const tag of tags.slice(1)) {
      const names = tag.replace(/="[^"]*"/g, "=");
      expect(names).toMatch(/^<\/?[a-zA-Z][\w-]*(\s+[\w:-]+=?)*\s*\/?>$/);
      expect(names).not.toMatch(/\s(src|href|action|srcset|style|on[a-z]+)=/i);
    }
    const style = html.slice(html.indexOf("<style>"), html.indexOf("</style>"));
    expect(style).not.toMatch(/url\(|@import|@font-face/i);
    // The only URL in markup outside tooltips is the SVG namespace name (never fetched).
    const markup = tags.join(" ").replace(/\s(title|aria-label)="[^"]*"/g, "");
    expect(new Set(markup.match(/https?:\/\/[^\s"<]*/g))).toEqual(new Set(["http://www.w3.org/2000/svg"]));
  });

  it("shows the chart, all instructions best first, per-example results, config and cost", () => {
    const html = injectedReport();
    expect(html.match(/<circle class="eval-point/g)).toHaveLength(N_EVALS);
    expect(html).toContain('id="validation-examples"');
    expect(html).toContain('id="test-examples"');
    expect(html).toContain("$0.0123");
    expect(html).toContain("12,345");
    expect(html).toContain('<th class="label">vLLM model</th><td><code>--vllm-model</code></td>');
    const table = html.slice(
      html.indexOf('id="instruction-table"'),
      html.indexOf("</table>", html.indexOf('id="instruction-table"')),
    );
    const rowScores = [
      ...table.matchAll(/<tr[^>]*><td class="num">\d+<\/td><td class="num">([\d.]+)<\/td>/g),
    ].map((m) => Number(m[1]));
    expect(rowScores.length).toBeGreaterThan(1);
    expect(rowScores).toEqual([...rowScores].sort((a, b) => b - a));
    expect(rowScores[0]).toBe(1);
  });

  it("renders a run with no evaluations", () => {
    const ledger = openLedger(":memory:");
    const html = renderHtmlReport(exportRun(ledger, fillRun(ledger, 0)));
    ledger.close();
    expect(html).toContain("No evaluation recorded yet.");
    expect(html).toContain("no evaluations yet");
  });
});
