/**
 * A migration stopped by its limit while the old top candidates are scored on the test split (the last
 * phase, scoreOldCandidates), against the fake OpenAI server with two model names answering differently
 * (built CLI):
 * - exit code 0 and the stop reason, as for any run stopped by a limit; the table (text and --json) has
 *   the rows scored so far, `finished: false` and a verdict saying it is not finished;
 * - money is exact: the reported calls and dollars are the spend log's, the server's answered requests
 *   priced, never above the cap;
 * - `instructzero resume NEWRUN --max-calls N` and the same migrate command with a higher limit continue
 *   the same run, paying no answered request twice: the interrupted migration asks the server exactly
 *   the requests an uninterrupted one asks, and ends with its table (scores per row).
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  estimateTokens,
  type FakeOpenAI,
  type FakeRequest,
  parseInstructionPrompt,
  startFakeOpenAI,
} from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture, reverse } from "../../fixtures/optimize.js";
import { estimateCost } from "../../src/blackbox/pricing.js";
import type { MigrationTable } from "../../src/session/migrate.js";
import { openLedger } from "../../src/store/ledger.js";
import { seedFor } from "../../src/util/rng.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const NEW = "gpt-4.1-mini";
/** The environment of the CLI, with its own home and response cache. */
const envOf = (home: string) => ({
  OPENAI_API_KEY: "sk-test",
  INSTRUCTZERO_HOME: join(fx.dir, home),
  INSTRUCTZERO_CACHE: join(fx.dir, home, "responses.sqlite"),
});

/** The new model: another quality per instruction, answers of another length. */
function newModelAnswer(req: FakeRequest): string {
  const parsed = parseInstructionPrompt(req.prompt);
  if (!parsed) return "?";
  const u = (label: string) => (seedFor(7, label) >>> 0) / 2 ** 32;
  const q = u(`q:${parsed.instruction}`);
  return u(`a:${parsed.instruction}:${parsed.input}`) < q ? reverse(parsed.input) : `${parsed.input} !`;
}

function answer(req: FakeRequest): string {
  return req.model === NEW ? newModelAnswer(req) : instructionQualityAnswer(req);
}

/** A table without what differs between two runs of the same migration (ids, latency). */
function comparable(t: MigrationTable) {
  return {
    target: t.target,
    status: t.status,
    finished: t.finished,
    calls: t.calls,
    verdict: t.verdict,
    rows: t.rows.map(({ latencyMs: _ms, ...row }) => row),
  };
}

describe("migrate stopped by --max-calls while the old candidates are scored on test", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer, latencyMs: 2 });
  });
  afterAll(() => server.close());

  it("stops like any run, shows what it scored, and the same command with a higher limit finishes it as if never stopped", async () => {
    const ledgerFile = join(fx.dir, "limit.ledger.sqlite");
    const old = await runCli(
      [
        "optimize",
        ...["--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
        ...["--generator", fx.model, "--validation-size", "5", "--budget", "12"],
        ...["--initial-points", "4", "--batch-size", "4", "--max-retries", "6"],
        ...["--ledger", ledgerFile, "--json"],
      ],
      { env: envOf("home") },
    );
    expect(old.code, old.stderr).toBe(0);
    const oldId = JSON.parse(old.stdout).runId as string;
    const migrate = ["migrate", oldId, "--to", `openai:${NEW}`, "--budget", "4", "--warm", "2"];

    // the same migration in one go, on a copy of the ledger with its own (empty) response cache
    const copy = join(fx.dir, "copy.ledger.sqlite");
    for (const suffix of ["", "-wal", "-shm"])
      if (existsSync(ledgerFile + suffix)) copyFileSync(ledgerFile + suffix, copy + suffix);
    const before = server.requests.length;
    const whole = await runCli([...migrate, "--ledger", copy, "--json"], { env: envOf("home-b") });
    expect(whole.code, whole.stderr).toBe(0);
    const [reference] = JSON.parse(whole.stdout) as MigrationTable[];
    expect(reference.finished).toBe(true);
    const wholeRequests = server.requests
      .slice(before)
      .filter((e) => e.model === NEW && e.status === 200 && e.end !== undefined);
    const lc = openLedger(copy, { create: false });
    const onTest = lc.spendBySource(reference.runId, "old candidates").target?.calls ?? 0;
    const tested = lc.getRun(reference.runId).result!.test!.scores.length;
    const wholeEvaluations = lc.evaluations(reference.runId).map((e) => [e.instruction, e.scores]);
    lc.close();
    expect(reference.calls).toBe(wholeRequests.length);
    // at least two old candidates are scored on test only there: stop in the middle of the first
    expect(onTest).toBeGreaterThanOrEqual(2 * tested);
    const cap = reference.calls - onTest + Math.ceil(tested / 2);

    const from = server.requests.length;
    const answered = () =>
      server.requests.slice(from).filter((e) => e.model === NEW && e.status === 200 && e.end !== undefined);
    const stopped = await runCli([...migrate, "--max-calls", String(cap), "--ledger", ledgerFile, "--json"], {
      env: envOf("home"),
    });
    // as any run stopped by a limit: exit code 0, status "stopped" and why
    expect(stopped.code, stopped.stderr).toBe(0);
    const [partial] = JSON.parse(stopped.stdout) as MigrationTable[];
    const newId = partial.runId;
    expect(partial.status).toBe("stopped");
    expect(partial.finished).toBe(false);
    expect(partial.reason).toMatch(
      new RegExp(
        `^--max-calls ${cap} reached \\(${cap} paid calls.*\\); stopped in the old candidates phase`,
      ),
    );
    expect(partial.verdict).toMatch(
      /^not finished \(stopped\): run the same migration again with a higher --max-calls/,
    );
    // the rows scored so far: everything but some old candidates' test scores, as in one go
    const rowsOf = (t: MigrationTable) => comparable(t).rows;
    const untested = rowsOf(partial).filter((r) => r.score === null);
    expect(untested.length).toBeGreaterThanOrEqual(1);
    for (const r of untested) expect(r.label).toMatch(/^new model, old candidate \d+$/);
    rowsOf(partial).forEach((r, i) => {
      const whole = rowsOf(reference)[i];
      if (r.score === null)
        expect({ ...r, score: whole.score, low: whole.low, high: whole.high }).toEqual(whole);
      else expect(r).toEqual(whole);
    });
    // money: reported = the spend log = the answered requests priced; never above the cap
    const ledger = () => openLedger(ledgerFile, { create: false });
    const moneyOf = (id: string) => {
      const l = ledger();
      try {
        return { spend: l.spendBySource(id).target, run: l.getRun(id) };
      } finally {
        l.close();
      }
    };
    let m = moneyOf(newId);
    expect(m.run.status).toBe("stopped");
    expect(m.run.config.maxCalls).toBe(cap);
    expect(partial.calls).toBe(m.spend.calls);
    expect(partial.costUsd).toBeCloseTo(m.spend.costUsd, 12);
    expect(m.spend.calls).toBe(answered().length);
    expect(m.spend.calls).toBeLessThanOrEqual(cap);
    expect(m.spend.calls).toBeGreaterThan(reference.calls - onTest);
    const priced = (es: FakeRequest[]) =>
      es.reduce(
        (a, e) =>
          a +
          estimateCost(`openai:${NEW}`, {
            inputTokens: estimateTokens(e.prompt),
            outputTokens: estimateTokens(newModelAnswer({ ...e, body: {} } as FakeRequest)),
          }).costUsd,
        0,
      );
    expect(partial.costUsd).toBeCloseTo(priced(answered()), 12);
    // the search and what follows it as in one go (the limit left no room to keep aside: it cut nothing)
    const l = ledger();
    expect(l.evaluations(newId).map((e) => [e.instruction, e.scores])).toEqual(wholeEvaluations);
    l.close();

    // the text form of the same (stopped) migration: nothing more asked, the stop and the table so far
    const asked = server.requests.length;
    const text = await runCli([...migrate, "--max-calls", String(cap), "--ledger", ledgerFile], {
      env: envOf("home"),
    });
    expect(text.code, text.stderr).toBe(0);
    expect(server.requests.length).toBe(asked);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toBe(`migration to openai:${NEW}: run ${newId} (stopped: ${partial.reason})`);
    for (const r of untested)
      expect(lines.find((x) => x.includes(`| ${r.label.slice("new model, ".length)}: `))).toMatch(
        /\| - \(- to -\) \|/,
      );
    expect(text.stdout).toContain(`spent: ${partial.calls} calls, `);
    expect(text.stdout).toMatch(/^verdict: not finished \(stopped\): /m);

    // instructzero resume with a little more: still stopped in the same phase, the new cap holds
    const resumed = await runCli(["resume", newId, "--max-calls", String(cap + 2), "--ledger", ledgerFile], {
      env: envOf("home"),
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      /stopped: --max-calls \d+ reached .*; stopped in the old candidates phase/,
    );
    m = moneyOf(newId);
    expect(m.run.status).toBe("stopped");
    expect(m.spend.calls).toBeLessThanOrEqual(cap + 2);
    expect(m.spend.calls).toBe(answered().length);

    // the same migrate command with a higher limit: the same run, finished, as if never stopped
    const done = await runCli(
      [...migrate, "--max-calls", String(reference.calls + 100), "--ledger", ledgerFile, "--json"],
      { env: envOf("home") },
    );
    expect(done.code, done.stderr).toBe(0);
    const [finished] = JSON.parse(done.stdout) as MigrationTable[];
    expect(finished.runId).toBe(newId);
    expect(finished.finished).toBe(true);
    expect(comparable(finished)).toEqual(comparable(reference));
    expect(finished.costUsd).toBeCloseTo(reference.costUsd, 12);
    m = moneyOf(newId);
    expect(m.run.config.maxCalls).toBe(reference.calls + 100);
    expect(m.run.status).toBe("completed");
    expect(finished.calls).toBe(m.spend.calls);
    expect(finished.costUsd).toBeCloseTo(m.spend.costUsd, 12);
    // no answered request paid twice: exactly the requests of the migration made in one go
    const prompts = answered().map((e) => e.prompt);
    expect(new Set(prompts).size).toBe(prompts.length);
    expect([...prompts].sort()).toEqual(wholeRequests.map((e) => e.prompt).sort());
    expect(finished.costUsd).toBeCloseTo(priced(answered()), 12);
    // a finished migration is read back, whatever the limit: nothing more asked
    const again = server.requests.length;
    const read = await runCli([...migrate, "--ledger", ledgerFile, "--json"], { env: envOf("home") });
    expect(read.code, read.stderr).toBe(0);
    expect(server.requests.length).toBe(again);
    expect(comparable(JSON.parse(read.stdout)[0])).toEqual(comparable(reference));
  });
});
