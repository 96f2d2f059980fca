import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test" };

function args(server: FakeOpenAI, name: string, extra: string[] = []): string[] {
  return [
    "optimize",
    "--task",
    fx.taskFile,
    "--target",
    "openai:fake",
    "--base-url",
    server.url,
    "--generator",
    fx.model,
    "--budget",
    "12",
    "--initial-points",
    "4",
    "--batch-size",
    "4",
    "--validation-size",
    "5",
    "--cache",
    join(fx.dir, `${name}.cache.sqlite`),
    "--ledger",
    join(fx.dir, `${name}.ledger.sqlite`),
    "--json",
    ...extra,
  ];
}

describe("instructzero optimize (offline, micro generator, local fake black box)", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
  });
  afterAll(() => server.close());

  for (const method of ["instructzero", "uniform", "ape"] as const) {
    it(`runs ${method} end to end and records every evaluation`, async () => {
      const before = server.stats().requests;
      const r = await runCli(args(server, `full-${method}`, ["--method", method]), { env });
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe("completed");
      expect(out.totals.evaluations).toBe(12);
      expect(out.test.scores).toHaveLength(10); // min(100, floor(30/3)) held out
      const ledger = openLedger(join(fx.dir, `full-${method}.ledger.sqlite`), { create: false });
      const evals = ledger.evaluations(out.runId);
      ledger.close();
      expect(evals).toHaveLength(12);
      expect(new Set(evals.map((e) => e.score)).size).toBeGreaterThan(1); // scores depend on the instruction
      // the winner: chosen on the selection split among the top candidates by validation
      expect(out.best.index).toBe(out.selection.winner);
      const top = Math.max(...evals.map((e) => e.score));
      if (out.selection.rule === "validation") expect(out.best.validationScore).toBe(top);
      else {
        expect(out.selection.candidates.map((c: { index: number }) => c.index)).toContain(out.best.index);
        expect(out.selection.candidates[0].validationScore).toBe(top);
      }
      // ape demos come from the whole prompt-generation set: too few fresh examples are left (a note says so)
      if (method === "ape") expect(out.selection.rule).toBe("validation");
      else expect(out.selection).toMatchObject({ rule: "fresh", size: 10 });
      // Calls made = distinct instructions x 5 validation + the selection race among the top candidates
      // (the adaptive post-search, the default: each candidate on the selection examples it was raced on)
      // + the "no instruction" baseline (a pilot of 5 validation examples + 10 test: a test split of
      // 10 is one look of the sequential test) + 10 test (+ 12 proposals for ape).
      const distinct = new Set(evals.map((e) => e.instruction)).size;
      const selectionCalls = out.selection.candidates.reduce(
        (a: number, c: { scores: number[] }) => a + c.scores.length,
        0,
      );
      if (out.selection.rule === "fresh")
        expect(selectionCalls).toBeLessThan(out.selection.candidates.length * out.selection.size);
      const expected = distinct * 5 + selectionCalls + 15 + 10 + (method === "ape" ? 12 : 0);
      expect(out.baselines.map((b: { name: string }) => b.name)).toEqual(["no instruction"]);
      expect(out.comparisons[0].text).toMatch(/no instruction/);
      expect(server.stats().requests - before).toBe(expected);
      expect(out.totals.calls).toBe(expected);
      expect(evals.filter((e) => e.reused)).toHaveLength(12 - distinct);
      if (method !== "ape") {
        for (const e of evals) for (const v of e.z!) expect(Math.abs(v)).toBeLessThanOrEqual(1);
        expect(distinct).toBeGreaterThan(1); // the soft prompt changes the instruction
      }
    });
  }

  it("is deterministic: the same seed gives the same instructions, scores and choice", async () => {
    const a = JSON.parse(
      (await runCli(args(server, "det-a", ["--method", "uniform", "--seed", "7"]), { env })).stdout,
    );
    const b = JSON.parse(
      (await runCli(args(server, "det-b", ["--method", "uniform", "--seed", "7"]), { env })).stdout,
    );
    expect(b.best).toEqual({
      ...a.best,
      evaluationMs: b.best.evaluationMs,
      generationMs: b.best.generationMs,
      latencyMs: b.best.latencyMs,
    });
    expect(b.test.scores).toEqual(a.test.scores);
  });

  it("--max-calls stops exactly and keeps the best so far", async () => {
    const before = server.stats().requests;
    const r = await runCli(
      args(server, "maxcalls", [
        "--method",
        "uniform",
        "--max-calls",
        "13",
        "--no-test",
        "--selection",
        "validation",
      ]),
      { env },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("stopped");
    expect(out.reason).toMatch(/--max-calls 13/);
    expect(server.stats().requests - before).toBe(13);
    expect(out.best).not.toBeNull();

    // A larger limit on resume continues the same run to its budget; the 13 paid answers are not paid again.
    const mid = server.stats().requests;
    const more = await runCli(
      [
        "resume",
        out.runId,
        "--max-calls",
        "1000",
        "--ledger",
        join(fx.dir, "maxcalls.ledger.sqlite"),
        "--json",
      ],
      { env },
    );
    expect(more.code, more.stderr).toBe(0);
    const done = JSON.parse(more.stdout);
    expect(done.status).toBe("completed");
    expect(done.totals.evaluations).toBe(12);
    const ledger = openLedger(join(fx.dir, "maxcalls.ledger.sqlite"), { create: false });
    const distinct = new Set(ledger.evaluations(out.runId).map((e) => e.instruction)).size;
    ledger.close();
    // + the "no instruction" baseline on the 5 validation examples (no test split: --no-test)
    expect(server.stats().requests - mid + 13).toBe(distinct * 5 + 5);
  });

  it("zero-config default: no --target uses a local model, and offline says how to use a local folder", async () => {
    const r = await runCli(
      [
        "optimize",
        "--task",
        fx.taskFile,
        "--ledger",
        join(fx.dir, "zero.ledger.sqlite"),
        "--cache",
        join(fx.dir, "zero.cache"),
      ],
      { env: { HF_HOME: join(fx.dir, "hf"), HF_ENDPOINT: "http://127.0.0.1:9" } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/onnx-community\/Qwen2\.5-0\.5B-Instruct/);
    expect(r.stderr).toMatch(/local model folder/);
  });

  it("runs with no API key at all: local generator and local: black box", async () => {
    const r = await runCli(
      [
        ...["optimize", "--task", fx.taskFile, "--target", `local:${fx.model}`, "--generator", fx.model],
        ...[
          "--method",
          "uniform",
          "--budget",
          "3",
          "--initial-points",
          "3",
          "--validation-size",
          "2",
          "--max-tokens",
          "8",
        ],
        ...[
          "--ledger",
          join(fx.dir, "local.ledger.sqlite"),
          "--cache",
          join(fx.dir, "local.cache"),
          "--json",
        ],
      ],
      { env: {} },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("completed");
    expect(out.totals.costUsd).toBe(0);
    expect(out.totals.calls).toBeGreaterThan(0);
    expect(out.test.outputs.length).toBe(10);
  });

  it("--instruction-tokens caps the generator's output per instruction", async () => {
    // raw: the micro model's 4-token texts often hold no letter, which the clean-up would empty
    const small = ["--method", "uniform", "--budget", "4", "--initial-points", "4", "--raw-instructions"];
    const texts = async (name: string, extra: string[]) => {
      const r = await runCli(args(server, name, [...small, ...extra]), { env });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      const ledger = openLedger(join(fx.dir, `${name}.ledger.sqlite`), { create: false });
      const run = ledger.getRun(out.runId);
      const evals = ledger.evaluations(out.runId);
      ledger.close();
      return { instructions: evals.map((e) => e.instruction), config: run!.config };
    };
    const long = await texts("tokens-default", []);
    const short = await texts("tokens-4", ["--instruction-tokens", "4"]);
    expect(short.config.instructionTokens).toBe(4);
    expect(long.config.instructionTokens).toBe(128); // defaults are stored
    short.instructions.forEach((t, i) => {
      expect(t.length).toBeGreaterThan(0);
      expect(t.length).toBeLessThan(long.instructions[i].length);
    });
  });

  it("--dry-run spends nothing", async () => {
    const before = server.stats().requests;
    const r = await runCli(args(server, "dry", ["--method", "ape", "--dry-run"]), { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // 12 candidates x 5 validation + 10 test + 12 proposals + the "no instruction" baseline (5 + 10); ape
    // leaves too few fresh examples for a selection split (a note says so)
    expect(out.plan.maxCalls).toBe(12 * 5 + 10 + 12 + 15);
    expect(out.plan.selectionCalls).toBe(0);
    expect(out.notes.join(" ")).toMatch(/selection:/);
    expect(server.stats().requests).toBe(before);
  });

  it("gives clear errors for an unknown task, an unreachable server and a bad ledger", async () => {
    const unknown = await runCli(
      ["optimize", "--task", "antonymz", "--method", "ape", "--target", "openai:x"],
      { env },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown task "antonymz"/);

    const ledgerPath = join(fx.dir, "unreachable.ledger.sqlite");
    const down = await runCli(
      [
        ...args(server, "unreachable", ["--method", "ape", "--max-retries", "1", "--timeout", "2000"]).map(
          (a) => (a === server.url ? "http://127.0.0.1:9/v1" : a),
        ),
      ],
      { env },
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/connect|ECONNREFUSED|Connection/i);
    const ledger = openLedger(ledgerPath, { create: false });
    const runs = ledger.listRuns();
    ledger.close();
    expect(runs[0].status).toBe("failed"); // recorded, resumable

    const bad = join(mkdtempSync(join(fx.dir, "bad-")), "runs.sqlite");
    writeFileSync(bad, "this is not a database");
    const broken = await runCli(
      [...args(server, "x", ["--method", "ape"]).map((a) => (a.endsWith("x.ledger.sqlite") ? bad : a))],
      { env },
    );
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(bad);
    expect(readFileSync(bad, "utf8")).toBe("this is not a database");
  });
});
