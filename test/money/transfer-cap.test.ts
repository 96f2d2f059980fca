/**
 * "A cap needs a price" holds at every entry point: `transfer --max-cost` on a target without a price
 * exits 2 before any request (the counting server sees none), naming the model and INSTRUCTZERO_PRICES;
 * the same transfer with the price given runs. And the rule lives in the budget: a black box budgeted
 * under a dollar cap is refused when its model has no price, before any request.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import type { BlackBox, Completion } from "../../src/blackbox/types.js";
import { BudgetedBlackBox, RunBudget } from "../../src/optimizers/budget.js";
import { UserError } from "../../src/util/errors.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };

/** A stub black box counting its requests. */
function stub(id: string, selfPriced = false): BlackBox & { sent: number } {
  const bb = {
    id,
    selfPriced,
    sent: 0,
    async complete(): Promise<Completion> {
      bb.sent++;
      return { text: "x", usage: { inputTokens: 10, outputTokens: 10 }, costUsd: 0, cached: false };
    },
    totals: () => ({
      completions: 0,
      requests: 0,
      cacheHits: 0,
      retries: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    }),
    close: async () => {},
  };
  return bb;
}

describe("a cap needs a price, in the budget that admits requests", () => {
  it("refuses an unpriced model under a dollar cap before any request; a cap on calls, or a priced model, is fine", async () => {
    const budget = new RunBudget({ maxCost: 0.000001 });
    const inner = stub("stub:unpriced-model");
    expect(() => new BudgetedBlackBox(inner, budget)).toThrow(UserError);
    expect(() => new BudgetedBlackBox(inner, budget)).toThrow(
      /--max-cost needs the price of stub:unpriced-model.*INSTRUCTZERO_PRICES/,
    );
    expect(inner.sent).toBe(0);
    // with its price given, or without a dollar cap, or answers that carry their own cost: admitted
    const priced = new BudgetedBlackBox(inner, budget, {
      source: "target",
      prices: { "stub:unpriced-model": { input: 1, output: 1 } },
    });
    await priced.complete({ prompt: "a", maxTokens: 1 }).catch(() => {});
    expect(() => new BudgetedBlackBox(inner, new RunBudget({ maxCalls: 50 }))).not.toThrow();
    expect(() => new BudgetedBlackBox(stub("function:mine", true), budget)).not.toThrow();
    expect(() => new BudgetedBlackBox(stub("local:./model"), budget)).not.toThrow();
  });
});

describe("transfer --max-cost", () => {
  let server: FakeOpenAI;
  let runId: string;
  const ledger = join(fx.dir, "transfer-cap.ledger.sqlite");
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
    const r = await runCli(
      [
        ...["optimize", "--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
        ...["--generator", fx.model, "--method", "uniform", "--budget", "2", "--initial-points", "2"],
        ...["--validation-size", "5", "--ledger", ledger, "--no-cache", "--json"],
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    runId = JSON.parse(r.stdout).runId;
  }, 120_000);
  afterAll(() => server.close());

  const transfer = (targets: string, extra: string[], e: Record<string, string> = env) =>
    runCli(
      [
        ...["transfer", runId, "--targets", targets, "--base-url", server.url],
        ...["--ledger", ledger, "--json", ...extra],
      ],
      { env: e },
    );

  it("on a model without a price exits 2 before any request, naming the model and INSTRUCTZERO_PRICES", async () => {
    const before = server.stats().requests;
    const r = await transfer("openai:no-such-priced-model", ["--max-cost", "0.000001"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("--max-cost needs the price of openai:no-such-priced-model");
    expect(r.stderr).toContain("INSTRUCTZERO_PRICES");
    expect(server.stats().requests - before).toBe(0);
    // a priced target first, the unpriced one second: still nothing is sent
    const both = await transfer("openai:gpt-4o,openai:no-such-priced-model", ["--max-cost", "1"]);
    expect(both.code, both.stderr).toBe(2);
    expect(server.stats().requests - before).toBe(0);
  });

  it("runs once the price is given (INSTRUCTZERO_PRICES), within the cap", async () => {
    const prices = join(fx.dir, "transfer-prices.json");
    writeFileSync(prices, JSON.stringify({ "openai:no-such-priced-model": { input: 0.15, output: 0.6 } }));
    const before = server.stats().requests;
    const r = await transfer("openai:no-such-priced-model", ["--max-cost", "1"], {
      ...env,
      INSTRUCTZERO_PRICES: prices,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows.length).toBeGreaterThan(0);
    expect(server.stats().requests - before).toBeGreaterThan(0);
  });

  it("prints progress lines per target while it runs (issue 21 item 5)", async () => {
    const r = await transfer("openai:gpt-4o-mini,openai:gpt-4o", []);
    expect(r.code, r.stderr).toBe(0);
    for (const target of ["openai:gpt-4o-mini", "openai:gpt-4o"]) {
      const lines = r.stderr.split("\n").filter((l) => l.startsWith(`[transfer ${target}] `));
      expect(lines.length, r.stderr).toBeGreaterThanOrEqual(2);
      expect(lines[0]).toMatch(/ 0\/\d+ queries, calls \d+, \$/);
      const [, done, total] = /(\d+)\/(\d+) queries/.exec(lines[lines.length - 1]) ?? [];
      expect(done).toBe(total);
    }
  });
});
