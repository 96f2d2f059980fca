/**
 * One run session: the CLI (`instructzero optimize`, a separate process) and the library
 * (optimizeInstruction, in process) run the same configuration through the same session and leave the
 * same ledger: the run's configuration and result, every evaluation, every checkpoint and the spend
 * totals (ids, timestamps and times apart).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { optimizeInstruction } from "../../src/api/optimize-instruction.js";
import { openLedger } from "../../src/store/ledger.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const saved = { ...process.env };
let server: FakeOpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI({ answer: instructionQualityAnswer });
  process.env.OPENAI_API_KEY = "sk-test";
});
afterAll(async () => {
  process.env = saved;
  await server.close();
});

/** Drop what differs between two processes running the same run: times, timestamps, run ids. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/Ms$|At$|^at$|^runId$|^run_id$/.test(k)) continue;
    out[k] = stable(v);
  }
  return out;
}

/** The rows of a ledger's one run that must match. */
function ledgerRows(file: string) {
  const ledger = openLedger(file, { create: false });
  try {
    const [run, ...others] = ledger.listRuns();
    expect(others).toHaveLength(0);
    const record = ledger.getRun(run.id);
    const state = ledger.driver
      .all<{ key: string; value: string }>("SELECT key, value FROM state WHERE run_id = ? ORDER BY key", [
        run.id,
      ])
      .filter((r) => r.key !== "timing")
      .map((r) => [r.key, stable(JSON.parse(r.value))]);
    const examples = ["validation", "test", "selection"].map((s) => ledger.getExamples(run.id, s as "test"));
    return {
      status: record.status,
      statusMessage: record.statusMessage,
      config: record.config,
      result: stable(record.result),
      evaluations: stable(ledger.evaluations(run.id)),
      state,
      examples,
      spend: ledger.spendBySource(run.id),
    };
  } finally {
    ledger.close();
  }
}

describe("the CLI and the library run the same session", () => {
  it("leave identical ledgers for the same run", async () => {
    const cliLedger = join(fx.dir, "cli.ledger.sqlite");
    const libLedger = join(fx.dir, "lib.ledger.sqlite");
    const r = await runCli(
      [
        "optimize",
        ...["--task", fx.taskFile, "--target", "openai:fake", "--base-url", server.url],
        ...["--generator", fx.model, "--budget", "12", "--initial-points", "4", "--batch-size", "4"],
        ...["--validation-size", "5", "--seed", "3", "--no-cache", "--ledger", cliLedger, "--json"],
      ],
      { env: { OPENAI_API_KEY: "sk-test" } },
    );
    expect(r.code, r.stderr).toBe(0);
    const lib = await optimizeInstruction({
      task: fx.taskFile,
      blackBox: "openai:fake",
      baseUrl: server.url,
      generator: fx.model,
      budget: 12,
      initialPoints: 4,
      batchSize: 4,
      validationSize: 5,
      seed: 3,
      cache: false,
      store: libLedger,
    });
    const cli = JSON.parse(r.stdout);
    expect(lib.status).toBe("completed");
    expect(cli.status).toBe("completed");
    expect(lib.best?.instruction).toBe(cli.best.instruction);
    // one result shape (issue 21): the CLI's --json is the library's OptimizeResult
    expect(Object.keys(cli).sort()).toEqual(Object.keys(lib).sort());
    expect(cli.best).toEqual(lib.best);
    expect(Object.keys(cli.best).sort()).toEqual(["index", "instruction", "testScore", "validationScore"]);

    const a = ledgerRows(cliLedger);
    const b = ledgerRows(libLedger);
    expect(a.evaluations).toHaveLength(12);
    expect(a.state.map(([k]) => k)).toContain("selection");
    expect(a.spend.target.calls).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });
});
