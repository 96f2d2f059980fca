/**
 * Every attempt is paid for, against the local counting server, which bills every request it processes
 * (also one whose client gave up at --timeout): with a third of the requests answered only after the
 * timeout, and with answers billed beyond max_tokens, under a cost cap at concurrency 1 and 8,
 *   - what the server billed <= what the run reports,
 *   - what the run reports <= the cap + one worst case,
 *   - reported = what the provider answered + the abandoned attempts at their worst case,
 * and the stop message gives the true total.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { estimateCost } from "../../src/blackbox/pricing.js";
import { openLedger } from "../../src/store/ledger.js";
import { renderQuery } from "../../src/tasks/templates.js";
import { fmtUsd } from "../../src/util/format.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
const MODEL = "openai:gpt-4o-mini";
const MAX_TOKENS = 16;
const TIMEOUT_MS = 400;
const SLOW_MS = 1200;
const OVERLONG_TOKENS = 200;

function args(
  server: FakeOpenAI,
  name: string,
  concurrency: number,
  maxCost: number,
  timeoutMs = TIMEOUT_MS,
): string[] {
  return [
    "optimize",
    ...["--task", fx.taskFile, "--target", MODEL, "--base-url", server.url, "--generator", fx.model],
    ...["--method", "uniform", "--validation-size", "5", "--max-retries", "6"],
    ...["--budget", "60", "--initial-points", "50", "--batch-size", "5", "--max-tokens", String(MAX_TOKENS)],
    ...["--concurrency", String(concurrency), "--timeout", String(timeoutMs)],
    ...["--max-cost", String(maxCost), "--no-cache", "--no-test"],
    ...["--ledger", join(fx.dir, `${name}.ledger.sqlite`), "--json"],
  ];
}

/** The dollars of `usage` at the model's prices. */
const usd = (inputTokens: number, outputTokens: number) =>
  estimateCost(MODEL, { inputTokens, outputTokens }).costUsd;

/** The worst case of the longest query a run here sends (prompt bytes as tokens + 16, `answer` tokens). */
function worstCase(answerTokens: number): number {
  const longest = Math.max(
    ...Array.from({ length: 30 }, (_, i) => Buffer.byteLength(renderQuery("x".repeat(400), `word${i}`))),
  );
  return usd(longest + 16, answerTokens);
}

/** What the server did for requests since `from`: billed (everything it processed) and answered (200 sent). */
function serverSide(server: FakeOpenAI, from: number) {
  const entries = server.requests.slice(from);
  let billed = 0;
  let answered = 0;
  let answeredCalls = 0;
  for (const e of entries) {
    if (!e.billed) continue;
    const cost = usd(e.billed.inputTokens, e.billed.outputTokens);
    billed += cost;
    if (e.status === 200) {
      answered += cost;
      answeredCalls++;
    }
  }
  return { billed, answered, answeredCalls, timedOut: entries.filter((e) => e.fault === "slow").length };
}

/** The spend log of the run, by state. */
function spendOf(name: string, runId: string) {
  const ledger = openLedger(join(fx.dir, `${name}.ledger.sqlite`), { create: false });
  try {
    const totals = ledger.spendBySource(runId).target;
    return totals;
  } finally {
    ledger.close();
  }
}

/** The run's spend log by state: calls and dollars of "paid" and "abandoned" attempts. */
function spendByState(name: string, runId: string) {
  const db = new Database(join(fx.dir, `${name}.ledger.sqlite`), { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT state, COUNT(*) AS calls, SUM(cost_usd) AS usd FROM spend WHERE run_id = ? GROUP BY state",
      )
      .all(runId) as { state: string; calls: number; usd: number }[];
    const of = (state: string) => rows.find((r) => r.state === state) ?? { calls: 0, usd: 0 };
    expect(rows.map((r) => r.state).sort()).toEqual(rows.length === 2 ? ["abandoned", "paid"] : ["paid"]);
    return { paid: of("paid"), abandoned: of("abandoned") };
  } finally {
    db.close();
  }
}

const settle = () => new Promise((r) => setTimeout(r, SLOW_MS + 300));

describe("every attempt is paid for", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({
      answer: instructionQualityAnswer,
      latencyMs: 10,
      slowMs: SLOW_MS,
      overlongTokens: OVERLONG_TOKENS,
      seed: 19,
    });
  });
  afterAll(() => server.close());

  it.each([8, 1])(
    "a third of the requests answered after --timeout, concurrency %i: billed <= reported <= cap + one worst case",
    async (concurrency) => {
      const name = `timeouts-${concurrency}`;
      const maxCost = 0.0012;
      const from = server.requests.length;
      // a third of the requests (retries included) are answered only after the client's timeout
      const faults: Record<number, "slow"> = {};
      for (let n = from + 1; n <= from + 400; n++) if (n % 3 === 0) faults[n] = "slow";
      server.setFaults(faults);
      const r = await runCli(args(server, name, concurrency, maxCost), { env });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe("stopped");
      await settle(); // the server finishes (and bills) the requests the client gave up on
      server.setFaults({});
      const s = serverSide(server, from);
      expect(
        s.timedOut,
        `the server saw ${server.requests.length - from} requests; the run said: ${r.stderr.slice(-800)}`,
      ).toBeGreaterThan(0);
      const spend = spendOf(name, out.runId);
      // reported = answered (at the usage the provider reported) + abandoned attempts at their worst case
      // (every "slow" request was abandoned; on a loaded machine an ordinary one may be too)
      const log = spendByState(name, out.runId);
      expect(out.totals.calls).toBe(spend.calls);
      expect(spend.calls).toBe(log.paid.calls + log.abandoned.calls);
      expect(out.totals.costUsd).toBeCloseTo(log.paid.usd + log.abandoned.usd, 12);
      expect(spend.abandoned).toBe(log.abandoned.calls);
      expect(out.totals.abandonedCalls).toBe(log.abandoned.calls);
      expect(log.abandoned.calls).toBeGreaterThanOrEqual(s.timedOut);
      expect(log.abandoned.usd).toBeLessThanOrEqual(log.abandoned.calls * worstCase(MAX_TOKENS) + 1e-12);
      expect(log.paid.calls).toBeLessThanOrEqual(s.answeredCalls);
      expect(log.paid.usd).toBeLessThanOrEqual(s.answered + 1e-12);
      // every request the server processed (and billed) is counted by the run
      const processed = server.requests.slice(from).filter((e) => e.billed).length;
      expect(spend.calls).toBeGreaterThanOrEqual(processed);
      // the provider billed no more than the run reports, and the run stayed within a worst case of the cap
      expect(s.billed).toBeLessThanOrEqual(out.totals.costUsd + 1e-12);
      expect(out.totals.costUsd).toBeLessThanOrEqual(maxCost + worstCase(MAX_TOKENS));
      expect(out.reason).toContain(`${fmtUsd(out.totals.costUsd)} spent in all`);
      // the progress line counts paid attempts (never more than the run's final count), not requests sent
      const shown = [...r.stderr.matchAll(/calls (\d+), /g)].map((m) => Number(m[1]));
      expect(shown.length).toBeGreaterThan(0);
      expect(shown).toEqual([...shown].sort((x, y) => x - y));
      expect(Math.max(...shown)).toBeLessThanOrEqual(out.totals.calls);
    },
  );

  it.each([8, 1])(
    "answers billed beyond max_tokens, concurrency %i: settled at the provider's usage, stopped once over, true figure printed",
    async (concurrency) => {
      const name = `overlong-${concurrency}`;
      const maxCost = 0.002;
      const from = server.requests.length;
      const faults: Record<number, "overlong"> = {};
      for (let n = from + 1; n <= from + 400; n++) if (n % 3 === 1) faults[n] = "overlong";
      server.setFaults(faults);
      // (a long timeout: no attempt is abandoned here, every answer is settled at its usage)
      const r = await runCli(args(server, name, concurrency, maxCost, 60_000), { env });
      server.setFaults({});
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe("stopped");
      const s = serverSide(server, from);
      expect(server.requests.slice(from).some((e) => e.fault === "overlong" && e.status === 200)).toBe(true);
      // reported = what the provider billed, exactly (every answer settled at its reported usage)
      expect(out.totals.costUsd).toBeCloseTo(s.billed, 12);
      expect(out.totals.calls).toBe(s.answeredCalls);
      // within one (true) worst case of the cap
      expect(out.totals.costUsd).toBeLessThanOrEqual(maxCost + worstCase(OVERLONG_TOKENS));
      expect(out.reason).toMatch(/--max-cost \$0\.0020 reached/);
      expect(out.reason).toContain(`${fmtUsd(out.totals.costUsd)} spent in all`);
    },
  );
});
