import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { containsScore, metricForTask, normalizePrediction, scoreMetric } from "../../src/tasks/metrics.js";
import type { MetricName } from "../../src/tasks/types.js";

interface OracleRow {
  prediction: string;
  answers: string[];
  normalized: string;
  em: number;
  f1: number;
  es: number;
  contains: number;
}

const oracle: OracleRow[] = JSON.parse(
  readFileSync(new URL("../fixtures/metrics/oracle.json", import.meta.url), "utf8"),
);

describe("metrics agree with the reference Python implementation", () => {
  it("has a substantial oracle", () => {
    expect(oracle.length).toBeGreaterThan(400);
    // The oracle exercises every outcome, not just zeros.
    for (const m of ["em", "es", "contains"] as const) expect(oracle.some((r) => r[m] === 1)).toBe(true);
    expect(oracle.some((r) => r.f1 > 0 && r.f1 < 1)).toBe(true);
  });

  it("normalises like the reference", () => {
    const bad = oracle.filter((r) => normalizePrediction(r.prediction) !== r.normalized);
    expect(bad.map((r) => r.prediction)).toEqual([]);
  });

  for (const metric of ["em", "f1", "es", "contains"] as MetricName[]) {
    it(`${metric} matches case for case`, () => {
      const bad = oracle
        .map((r) => ({ r, got: scoreMetric(metric, r.prediction, r.answers) }))
        .filter(({ r, got }) => Math.abs(got - r[metric]) > 1e-12)
        .map(({ r, got }) => ({ prediction: r.prediction, answers: r.answers, want: r[metric], got }));
      expect(bad).toEqual([]);
    });
  }
});

describe("metric details", () => {
  it("contains is safe with regex characters and respects Unicode word boundaries", () => {
    expect(containsScore("c++ rocks", "c++")).toBe(1);
    expect(containsScore("un café noir", "café")).toBe(1);
    expect(containsScore("cafés", "café")).toBe(0);
    expect(() => containsScore("x", "(unclosed [")).not.toThrow();
  });

  it("maps tasks to the reference metrics", () => {
    expect(metricForTask("synonyms")).toBe("contains");
    expect(metricForTask("common_concept")).toBe("f1");
    expect(metricForTask("taxonomy_animal")).toBe("es");
    expect(metricForTask("antonyms")).toBe("em");
    expect(metricForTask({ name: "mine", metric: "f1" })).toBe("f1");
  });

  it("returns 0 with no answers and rejects unknown metrics", () => {
    expect(scoreMetric("em", "x", [])).toBe(0);
    expect(() => scoreMetric("bleu" as MetricName, "x", ["x"])).toThrow(/unknown metric/);
  });
});
