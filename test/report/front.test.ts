/** The accuracy-vs-cost front and the cost sentence of the verdict. */
import { describe, expect, it } from "vitest";
import { paretoFront, renderFrontChart } from "../../src/report/charts/front.js";
import { costVerdict } from "../../src/report/cost-text.js";

describe("paretoFront", () => {
  it("keeps the points no other point beats on both score and cost", () => {
    const pts = [
      { score: 0.9, usdPer1k: 1.0 }, // front (best score)
      { score: 0.8, usdPer1k: 0.5 }, // front
      { score: 0.7, usdPer1k: 0.6 }, // dominated by 0.8 @ 0.5
      { score: 0.5, usdPer1k: 0.1 }, // front (cheapest)
      { score: 0.9, usdPer1k: 1.2 }, // dominated by 0.9 @ 1.0
      { score: 0.8, usdPer1k: 0.5 }, // a duplicate: only the first is on the front
    ];
    expect(paretoFront(pts)).toEqual([0, 1, 3]);
    expect(paretoFront([])).toEqual([]);
  });

  it("draws the front, marks its points and the chosen one, and the baselines", () => {
    const svg = renderFrontChart([
      { index: 0, score: 0.9, usdPer1k: 1, label: "a", chosen: true },
      { index: 1, score: 0.7, usdPer1k: 1.5, label: "b <x>" },
      { index: 2, score: 0.5, usdPer1k: 0.2, label: "c" },
      { index: -1, score: 0.4, usdPer1k: 0.1, label: "no instruction", baseline: true },
    ]);
    expect(svg).toContain('id="front-chart"');
    expect(svg.match(/class="front-point pareto/g)).toHaveLength(2);
    expect(svg).toContain('class="front-point pareto chosen"');
    expect(svg.match(/class="front-baseline"/g)).toHaveLength(1);
    expect(svg).toContain("polyline");
    expect(svg).toContain("b &lt;x&gt;");
    expect(renderFrontChart([])).toMatch(/no candidate with a known cost/);
  });
});

describe("costVerdict", () => {
  it("says what the chosen instruction costs against each baseline", () => {
    expect(
      costVerdict({ usdPer1k: 0.03, latencyMs: 410.4 }, [
        { name: "no instruction", usdPer1k: 0.02 },
        { name: "human instruction", usdPer1k: 0.04 },
        { name: "your baseline" },
      ]),
    ).toBe(
      "The chosen instruction costs $0.0300 per 1,000 queries (median latency 410 ms): no instruction $0.0200 (the chosen one costs 50% more), human instruction $0.0400 (the chosen one costs 25% less).",
    );
    expect(costVerdict({}, [{ name: "x", usdPer1k: 1 }])).toBeNull();
  });
});
