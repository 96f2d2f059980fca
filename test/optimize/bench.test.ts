import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { summarizeSweep, sweepMarkdown } from "../../src/optimizers/sweep.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();

describe("instructzero bench", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
  });
  afterAll(() => server.close());

  it("runs the grid, prints mean ± s.e., writes CSV, and reruns for free", async () => {
    const csv = join(fx.dir, "bench.csv");
    const args = [
      "bench",
      ...["--tasks", fx.taskFile, "--methods", "uniform,ape", "--seeds", "0,1"],
      ...["--target", "openai:fake", "--base-url", server.url, "--generator", fx.model],
      ...["--budget", "4", "--initial-points", "2", "--batch-size", "2", "--validation-size", "3"],
      ...[
        "--cache",
        join(fx.dir, "bench.cache.sqlite"),
        "--ledger",
        join(fx.dir, "bench.ledger.sqlite"),
        "--csv",
        csv,
      ],
    ];
    const env = { OPENAI_API_KEY: "sk-test" };
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^\| task \| uniform \| ape \|$/m);
    expect(first.stdout).toMatch(/^\| reverse \| \d\.\d{3} ± \d\.\d{3} \| \d\.\d{3} ± \d\.\d{3} \|$/m);
    // the running cell is named, then its own progress is shown (issue 21 item 5)
    expect(first.stderr).toMatch(
      /^cell 1\/4: reverse uniform seed 0\n(\[(evaluate|select|baselines|test)\] .*\n)+\[1\/4\] reverse uniform seed 0: /m,
    );
    expect(first.stderr).toMatch(/^cell 4\/4: reverse ape seed 1$/m);
    const rows = readFileSync(csv, "utf8").trim().split("\n");
    expect(rows).toHaveLength(5);
    expect(rows[0]).toBe("task,method,seed,run_id,status,validation,test,calls,cost_usd");

    const before = server.stats().requests;
    const second = await runCli(args, { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(server.stats().requests).toBe(before);
  });

  it("computes mean and standard error", () => {
    const cell = (test: number, seed: number) => ({
      task: "t",
      method: "ape" as const,
      seed,
      runId: `r${seed}`,
      status: "completed" as const,
      validation: 1,
      test,
      calls: 0,
      costUsd: 0,
      comparisons: [
        {
          baseline: "no instruction",
          verdict: (test > 0.6 ? "better" : "indistinguishable") as "better",
          diff: 0,
        },
      ],
    });
    const rows = summarizeSweep([cell(0.5, 0), cell(0.7, 1), cell(0.9, 2)]);
    expect(rows[0].winTieLoss["no instruction"]).toEqual({ win: 2, tie: 1, loss: 0 });
    expect(sweepMarkdown(rows, ["ape"])).toContain("| ape | 2/1/0 |");
    expect(rows[0].mean).toBeCloseTo(0.7, 12);
    expect(rows[0].se).toBeCloseTo(0.2 / Math.sqrt(3), 12);
    expect(sweepMarkdown(rows, ["ape"])).toContain("| t | 0.700 ± 0.115 |");
  });
});
