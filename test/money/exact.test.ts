/**
 * Money is exact, against the local counting server (every answered request is counted there):
 * a cost cap holds at concurrency 8 with 429/500 retries and stops within one call's worst case of it;
 * reported calls, tokens and dollars equal the answered requests; two resumes of one run at once: one
 * refuses, naming the holder, and no prompt is answered twice; kill -9 then resume with --max-calls:
 * answered calls <= the limit and reported = answered.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimateTokens, type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { estimateCost } from "../../src/blackbox/pricing.js";
import { openLedger } from "../../src/store/ledger.js";
import { renderQuery } from "../../src/tasks/templates.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };

function args(server: FakeOpenAI, name: string, extra: string[]): string[] {
  return [
    "optimize",
    ...[
      "--task",
      fx.taskFile,
      "--target",
      "openai:gpt-4o-mini",
      "--base-url",
      server.url,
      "--generator",
      fx.model,
    ],
    ...["--method", "uniform", "--validation-size", "5", "--max-retries", "6"],
    ...["--cache", join(fx.dir, `${name}.cache.sqlite`), "--ledger", join(fx.dir, `${name}.ledger.sqlite`)],
    ...["--json", ...extra],
  ];
}

/** Answered requests since `from` in the server's log, and the dollars they cost at gpt-4o-mini prices. */
function answered(server: FakeOpenAI, from: number) {
  const ok = server.requests.slice(from).filter((e) => e.status === 200 && e.end !== undefined);
  let cost = 0;
  for (const e of ok) {
    cost += estimateCost("openai:gpt-4o-mini", {
      inputTokens: estimateTokens(e.prompt),
      outputTokens: estimateTokens(instructionQualityAnswer({ ...e, body: {} } as never)),
    }).costUsd;
  }
  return { calls: ok.length, cost, prompts: ok.map((e) => e.prompt) };
}

describe("money is exact", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 10, retryAfter: "0" });
  });
  afterAll(() => server.close());

  it.each([8, 1])(
    "a cost cap holds at concurrency %i with 429/500 retries, and stops close to it",
    async (concurrency) => {
      const from = server.requests.length;
      const n = from;
      server.setFaults({ [n + 2]: "429", [n + 5]: "500", [n + 9]: "429", [n + 14]: "500", [n + 30]: "503" });
      const maxCost = 0.0001;
      const r = await runCli(
        args(server, `cap-${concurrency}`, [
          ...[
            "--budget",
            "60",
            "--initial-points",
            "50",
            "--batch-size",
            "5",
            "--concurrency",
            String(concurrency),
          ],
          ...["--max-cost", String(maxCost), "--no-cache", "--no-test"],
        ]),
        { env },
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe("stopped");
      expect(out.reason).toMatch(/--max-cost \$0\.0001 reached/);
      const a = answered(server, from);
      expect(out.totals.calls).toBe(a.calls); // reported = answered (retried ones once)
      expect(out.totals.costUsd).toBeCloseTo(a.cost, 12);
      expect(out.totals.costUsd).toBeLessThanOrEqual(maxCost);
      // within one call's worst case (prompt bytes as tokens + 16, 64 answer tokens) of the cap
      const longest = Math.max(
        ...Array.from({ length: 30 }, (_, i) => Buffer.byteLength(renderQuery("x".repeat(400), `word${i}`))),
      );
      const worst = estimateCost("openai:gpt-4o-mini", {
        inputTokens: longest + 16,
        outputTokens: 64,
      }).costUsd;
      expect(maxCost - out.totals.costUsd).toBeLessThan(worst);
      // stopped cleanly: every request sent is settled in the spend log, none left pending (issue 21)
      const db = new Database(join(fx.dir, `cap-${concurrency}.ledger.sqlite`), { readonly: true });
      const pending = db.prepare("SELECT COUNT(*) AS n FROM spend WHERE state = 'pending'").get() as {
        n: number;
      };
      db.close();
      expect(pending.n).toBe(0);
      expect(server.stats().faults).toBeGreaterThan(0);
      server.setFaults({});
    },
  );

  it("two resumes of one run at once: one refuses naming the holder, no prompt is answered twice", async () => {
    const first = await runCli(
      args(server, "twice", [
        "--budget",
        "12",
        "--initial-points",
        "4",
        "--batch-size",
        "4",
        "--max-calls",
        "12",
        "--no-test",
      ]),
      { env },
    );
    expect(first.code, first.stderr).toBe(0);
    const { runId, status } = JSON.parse(first.stdout);
    expect(status).toBe("stopped");
    const from = server.requests.length;
    const resume = () =>
      runCli(
        ["resume", runId, "--ledger", join(fx.dir, "twice.ledger.sqlite"), "--max-calls", "1000", "--json"],
        { env },
      );
    const [a, b] = await Promise.all([resume(), resume()]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 2]);
    const loser = a.code === 2 ? a : b;
    expect(loser.stderr).toMatch(/is being run by process \d+ on /);
    const winner = JSON.parse((a.code === 0 ? a : b).stdout);
    expect(winner.status).toBe("completed");
    const prompts = answered(server, from).prompts;
    expect(new Set(prompts).size).toBe(prompts.length);
  });

  it("kill -9 then resume with --max-calls: answered calls <= the limit, reported = answered", async () => {
    const from = server.requests.length;
    const name = "killed";
    const run = args(server, name, [
      "--budget",
      "40",
      "--initial-points",
      "8",
      "--batch-size",
      "8",
      "--max-calls",
      "90",
      "--no-test",
    ]);
    const killed = await runCli(run, {
      env,
      onSpawn: (kill) => {
        const timer = setInterval(() => {
          if (server.requests.length - from >= 30) {
            clearInterval(timer);
            kill("SIGKILL");
          }
        }, 2);
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    const runId = /run (\S+) \(resume/.exec(killed.stderr)?.[1] ?? "";
    const ledgerFile = join(fx.dir, `${name}.ledger.sqlite`);
    // its process is gone: the run shows as interrupted
    const runs = await runCli(["runs", "--ledger", ledgerFile, "--json"], { env });
    expect(JSON.parse(runs.stdout)[0].status).toBe("interrupted");
    const resumed = await runCli(["resume", runId, "--ledger", ledgerFile, "--json"], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout);
    expect(out.status).toBe("stopped");
    const a = answered(server, from);
    expect(a.calls).toBeLessThanOrEqual(90);
    // requests in flight at the kill were logged before sending and are counted as possibly paid
    // ("lost", dollars at their worst case): the server may have answered them (and billed them) or not
    // yet have received them when the process died, so reported = answered + those never answered
    const ledger = openLedger(ledgerFile, { create: false });
    const spend = ledger.spendBySource(runId).target;
    ledger.close();
    expect(out.totals.calls).toBe(spend.calls);
    expect(spend.calls).toBeGreaterThanOrEqual(a.calls);
    expect(spend.calls - a.calls).toBeLessThanOrEqual(spend.lost);
    expect(out.totals.costUsd).toBeGreaterThanOrEqual(a.cost - 1e-12);
    // (requests in flight at the kill: at most the concurrency)
    expect(spend.lost).toBeLessThanOrEqual(8);
  });
});

describe("set-up is checked before a run exists", () => {
  it("a cap on a model without a price is an error before anything is spent, unless its price is given", async () => {
    const ledger = join(fx.dir, "noprice.ledger.sqlite");
    const base = ["optimize", "--task", fx.taskFile, "--target", "openai:gpt-5.1", "--generator", fx.model];
    const r = await runCli(
      [...base, "--max-cost", "1", "--ledger", ledger, "--base-url", "http://127.0.0.1:9/v1"],
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--max-cost needs the price of openai:gpt-5.1");
    expect(r.stderr).toContain("INSTRUCTZERO_PRICES");
    const dry = await runCli([...base, "--max-cost", "1", "--dry-run"], { env });
    expect(dry.code).toBe(2);
    const prices = join(fx.dir, "prices.json");
    writeFileSync(prices, JSON.stringify({ "openai:gpt-5.1": { input: 1.25, output: 10 } }));
    const priced = await runCli([...base, "--max-cost", "1", "--dry-run", "--json"], {
      env: { ...env, INSTRUCTZERO_PRICES: prices },
    });
    expect(priced.code, priced.stderr).toBe(0);
    expect(JSON.parse(priced.stdout).plan.costUsd).toBeGreaterThan(0);
    writeFileSync(prices, "{ not json");
    const bad = await runCli([...base, "--dry-run"], { env: { ...env, INSTRUCTZERO_PRICES: prices } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(prices);
    const runs = await runCli(["runs", "--ledger", ledger, "--json"], { env });
    expect(runs.stdout.trim() === "" || JSON.parse(runs.stdout).length === 0).toBe(true);
  });

  it("a failing start (missing generator folder) records no run", async () => {
    const ledger = join(fx.dir, "nogen.ledger.sqlite");
    const r = await runCli(
      [
        "optimize",
        "--task",
        fx.taskFile,
        "--target",
        "openai:gpt-4o-mini",
        "--base-url",
        "http://127.0.0.1:9/v1",
      ].concat(["--generator", join(fx.dir, "no-such-model"), "--ledger", ledger]),
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("resume with");
    const ls = await runCli(["runs", "--ledger", ledger, "--json"], { env });
    expect(ls.stdout.trim() === "" || JSON.parse(ls.stdout).length === 0).toBe(true);
  });
});
