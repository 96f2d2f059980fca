import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exportRun, RUN_EXPORT_FORMAT, RUN_EXPORT_VERSION } from "../../src/report/export.js";
import { openLedger } from "../../src/store/ledger.js";
import { UserError } from "../../src/util/errors.js";
import { fillRun, makeConfig, makeRecord } from "../store/synthetic.js";
import { makeInjectedRun, N_EVALS, PAYLOADS } from "./fixture.js";

describe("exportRun", () => {
  it("exports a finished run: chosen best, best-so-far, distinct instructions, examples, final totals", () => {
    const ledger = openLedger(":memory:");
    const id = makeInjectedRun(ledger);
    const exp = exportRun(ledger, id);
    ledger.close();

    expect(exp.format).toBe(RUN_EXPORT_FORMAT);
    expect(exp.formatVersion).toBe(RUN_EXPORT_VERSION);
    expect(exp.producer).toMatch(/^instructzero \d/);
    expect(exp.run).toMatchObject({ id, status: "completed", statusMessage: PAYLOADS.quotes });
    expect(exp.config.task).toBe(`antonyms ${PAYLOADS.titleBreak}`);
    expect(exp.evaluations.map((e) => e.index)).toEqual([...Array(N_EVALS).keys()]);

    // best-so-far is the running maximum of the scores
    const scores = exp.evaluations.map((e) => e.score);
    expect(exp.bestSoFar).toEqual(scores.map((_, i) => Math.max(...scores.slice(0, i + 1))));
    expect(exp.bestSoFar[8]).toBeLessThanOrEqual(0.75);
    expect(exp.bestSoFar[9]).toBe(1);

    expect(exp.summary).toMatchObject({
      evaluations: N_EVALS,
      bestIndex: 9,
      bestScore: 1,
      testScore: 0.5,
      iterations: 3,
    });
    expect(exp.best?.instruction).toBe(PAYLOADS.script);
    expect(exp.best?.validation).toHaveLength(4);
    expect(exp.best?.validation[0]).toEqual({
      input: PAYLOADS.quotes,
      answers: [PAYLOADS.img],
      output: PAYLOADS.img,
      score: 1,
    });
    expect(exp.best?.test?.examples[1]).toEqual({
      input: "fast",
      answers: ["slow"],
      output: PAYLOADS.quotes,
      score: 0,
    });
    expect(exp.totalsSource).toBe("final");
    expect(exp.totals.calls).toBe(70);

    // distinct instructions, best first, counting proposals
    const distinct = new Set(exp.evaluations.map((e) => e.instruction));
    expect(exp.instructions).toHaveLength(distinct.size);
    expect(exp.summary.distinctInstructions).toBe(distinct.size);
    expect(exp.instructions[0].instruction).toBe(PAYLOADS.script);
    expect(exp.instructions.reduce((n, s) => n + s.proposals, 0)).toBe(N_EVALS);
    for (let i = 1; i < exp.instructions.length; i++) {
      expect(exp.instructions[i - 1].score).toBeGreaterThanOrEqual(exp.instructions[i].score);
    }
    // It is plain JSON.
    expect(JSON.parse(JSON.stringify(exp))).toEqual(exp);
  });

  it("exports an unfinished run with the arg-max as best and summed totals", () => {
    const ledger = openLedger(":memory:");
    const id = ledger.createRun(makeConfig());
    ledger.appendEvaluation(id, makeRecord(0, { score: 0.5 }));
    ledger.appendEvaluation(id, makeRecord(1, { score: 0.75, calls: 2, costUsd: 0.01 }));
    ledger.appendEvaluation(id, makeRecord(2, { score: 0.75 }));
    const exp = exportRun(ledger, id);
    expect(exp.summary.bestIndex).toBe(1);
    expect(exp.best?.validation[0].input).toBeNull();
    expect(exp.best?.test).toBeNull();
    expect(exp.bestSoFar).toEqual([0.5, 0.75, 0.75]);
    expect(exp.totalsSource).toBe("evaluations");
    expect(exp.totals).toMatchObject({ evaluations: 3, calls: 10 });
    expect(exp.totals.costUsd).toBeCloseTo(0.0102, 12);
    expect(exp.validationExamples).toBeNull();

    const empty = exportRun(ledger, fillRun(ledger, 0, { task: "sum" }));
    expect(empty.best).toBeNull();
    expect(empty.bestSoFar).toEqual([]);
    expect(empty.summary.bestScore).toBeNull();
    expect(() => exportRun(ledger, "missing-000000")).toThrow(UserError);
    ledger.close();
  });
});

describe("docs/run-format.md", () => {
  it("documents every field of the export", () => {
    const doc = readFileSync("docs/run-format.md", "utf8");
    const documented = new Set([...doc.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]));
    // config fields: the options in docs/options.md (linked from run-format.md), derived ones in run-format.md
    expect(doc).toContain("(options.md)");
    const options = readFileSync("docs/options.md", "utf8");
    for (const m of options.matchAll(/^\| `([A-Za-z]+)` \(/gm)) documented.add(m[1]);
    const ledger = openLedger(":memory:");
    const exp = exportRun(ledger, makeInjectedRun(ledger));
    ledger.close();
    const fields = new Set<string>();
    const walk = (v: unknown, depth: number) => {
      if (Array.isArray(v)) {
        for (const x of v) walk(x, depth);
      } else if (v && typeof v === "object" && depth < 3) {
        for (const [k, x] of Object.entries(v)) {
          fields.add(k);
          walk(x, depth + 1);
        }
      }
    };
    walk(exp, 0);
    expect(exp.best?.test?.examples[0]).toBeDefined();
    const missing = [...fields].filter(
      (f) => !documented.has(f) && !["input", "answers", "output", "examples"].includes(f),
    );
    expect(missing).toEqual([]);
    for (const f of ["input", "answers", "output", "examples"]) expect(doc).toContain(`\`${f}\``);
  });
});
