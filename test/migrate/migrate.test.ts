/**
 * Cost per candidate and migration against the fake OpenAI server (built CLI):
 * - every candidate's dollars per 1,000 queries equal its paid calls at the target's prices (and sum to
 *   the spend log's search dollars); its median latency is at least the server's added latency;
 * - `migrate` to a second model name that answers differently: killed with SIGKILL while the new
 *   run is under way, the same command continues it; the warm start is the old run's top soft
 *   prompts and instructions, money is exact (reported = spend log, answered <= reported, the
 *   difference only requests in flight at the kill), and the table has the three rows and a verdict.
 */
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
import { openLedger } from "../../src/store/ledger.js";
import { seedFor } from "../../src/util/rng.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
const NEW = "gpt-4.1-mini";

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

function oldRunArgs(server: FakeOpenAI, name: string, extra: string[] = []): string[] {
  return [
    "optimize",
    ...["--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
    ...["--generator", fx.model, "--validation-size", "5", "--budget", "12"],
    ...["--initial-points", "4", "--batch-size", "4", "--max-retries", "6"],
    ...["--ledger", join(fx.dir, `${name}.ledger.sqlite`), "--json", ...extra],
  ];
}

describe("cost and latency per candidate", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer, latencyMs: 10 });
  });
  afterAll(() => server.close());

  it("match the spend log and the paid calls at the target's prices", async () => {
    const r = await runCli(oldRunArgs(server, "cost", ["--no-cache", "--method", "uniform"]), { env });
    expect(r.code, r.stderr).toBe(0);
    const { runId } = JSON.parse(r.stdout);
    const ledger = openLedger(join(fx.dir, "cost.ledger.sqlite"), { create: false });
    try {
      const records = ledger.evaluations(runId);
      const validation = ledger.getExamples(runId, "validation")!;
      let sum = 0;
      let priced = 0;
      for (const rec of records) {
        if (rec.reused || rec.empty) {
          expect(rec.usdPer1k).toBeUndefined();
          continue;
        }
        // the candidate's queries, priced from the server's answers
        let usd = 0;
        for (const ex of validation) {
          const sent = server.requests.find(
            (e) =>
              e.status === 200 &&
              parseInstructionPrompt(e.prompt)?.instruction === rec.instruction &&
              parseInstructionPrompt(e.prompt)?.input === ex.input,
          );
          expect(sent, `${rec.index} ${ex.input}`).toBeDefined();
          usd += estimateCost("openai:gpt-4o-mini", {
            inputTokens: estimateTokens(sent!.prompt),
            outputTokens: estimateTokens(answer({ ...sent!, body: {} } as FakeRequest)),
          }).costUsd;
        }
        expect(rec.calls).toBe(validation.length);
        expect(rec.usdPer1k).toBeCloseTo((1000 * usd) / validation.length, 12);
        expect(rec.usdPer1k! * rec.calls).toBeCloseTo(1000 * rec.costUsd, 12);
        expect(rec.latencyMs).toBeGreaterThanOrEqual(10);
        sum += rec.costUsd;
        priced++;
      }
      expect(priced).toBeGreaterThan(0);
      const search = ledger.spendBySource(runId, "search").target;
      expect(search.costUsd).toBeCloseTo(sum, 12);
      // baselines carry theirs too
      const result = ledger.getRun(runId).result!;
      for (const b of result.baselines ?? []) expect(b.usdPer1k).toBeGreaterThan(0);
    } finally {
      ledger.close();
    }
  });
});

describe("--prefer cheaper:TOL and --objective in a run", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    // answers of different lengths per instruction: candidates differ in cost
    server = await startFakeOpenAI({ answer: newModelAnswer });
  });
  afterAll(() => server.close());

  it("a tolerance of 1 chooses the cheapest candidate; the objective leaves recorded scores alone", async () => {
    const common = [
      ...["--target", `openai:${NEW}`, "--method", "uniform"],
      ...["--selection", "validation", "--no-cache", "--no-test"],
    ];
    const r = await runCli([...oldRunArgs(server, "prefer", ["--prefer", "cheaper:1", ...common])], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const ledger = openLedger(join(fx.dir, "prefer.ledger.sqlite"), { create: false });
    try {
      const records = ledger.evaluations(out.runId).filter((e) => !e.reused && e.usdPer1k !== undefined);
      const cheapest = Math.min(...records.map((e) => e.usdPer1k as number));
      const winner = ledger.evaluations(out.runId).find((e) => e.index === out.selection.winner)!;
      expect(winner.usdPer1k).toBe(cheapest);
      expect(ledger.getRun(out.runId).config.prefer).toEqual({ cheaper: 1 });
    } finally {
      ledger.close();
    }
    const bad = await runCli([...oldRunArgs(server, "bad", ["--objective", "score * 2"])], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/score - L \* usd_per_1k/);
    const o = await runCli(
      [...oldRunArgs(server, "objective", ["--objective", "score - 10 * usd_per_1k", ...common])],
      { env },
    );
    expect(o.code, o.stderr).toBe(0);
    const lo = openLedger(join(fx.dir, "objective.ledger.sqlite"), { create: false });
    try {
      for (const e of lo.evaluations(JSON.parse(o.stdout).runId))
        expect(e.score).toBeCloseTo(e.scores.reduce((a, b) => a + b, 0) / e.scores.length, 12);
    } finally {
      lo.close();
    }
  });
});

describe("migrate", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer, latencyMs: 5 });
  });
  afterAll(() => server.close());

  it("warm-starts a new run on the new model; killed and run again, it finishes with exact money", async () => {
    const old = await runCli(oldRunArgs(server, "mig"), { env });
    expect(old.code, old.stderr).toBe(0);
    const oldId = JSON.parse(old.stdout).runId as string;
    const ledgerFile = join(fx.dir, "mig.ledger.sqlite");
    const migrate = ["migrate", oldId, "--to", `openai:${NEW}`, "--budget", "12", "--warm", "4"];
    const args = [...migrate, "--ledger", ledgerFile, "--json"];

    const dry = await runCli([...migrate, "--ledger", ledgerFile, "--dry-run"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/warm start +4 old candidates/);
    expect(dry.stdout).toMatch(/estimated cost +\$/);

    const from = server.requests.length;
    const newRequests = () => server.requests.slice(from).filter((e) => e.model === NEW);
    const killed = await runCli(args, {
      env,
      onSpawn: (kill) => {
        const timer = setInterval(() => {
          if (newRequests().length >= 12) {
            clearInterval(timer);
            kill("SIGKILL");
          }
        }, 2);
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    const newId = /run (\S+) \(openai:/.exec(killed.stderr)?.[1] ?? "";
    expect(newId).not.toBe("");
    // killed in the middle of the new run: it shows as interrupted, with part of its evaluations
    const mid = await runCli(["runs", "--ledger", ledgerFile, "--json"], { env });
    const midRun = JSON.parse(mid.stdout).find((r: { id: string }) => r.id === newId);
    expect(midRun.status).toBe("interrupted");
    expect(midRun.evaluations).toBeLessThan(12);

    const again = await runCli(args, { env });
    expect(again.code, again.stderr).toBe(0);
    // the text form of the same (finished) migration: no new call, the table and the verdict
    const before = server.requests.length;
    const text = await runCli([...migrate, "--ledger", ledgerFile], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(text.stdout).toMatch(/\| openai:gpt-4o-mini \| old prompt: /);
    expect(text.stdout).toMatch(/\| openai:gpt-4\.1-mini \| migrated prompt: /);
    expect(text.stdout).toMatch(/^verdict: (ship|don't ship|inconclusive)/m);
    const [table] = JSON.parse(again.stdout);
    expect(table.runId).toBe(newId);
    expect(table.status).toBe("completed");
    expect(table.rows.map((r: { label: string }) => r.label)).toEqual([
      "old model, old prompt",
      "new model, old prompt",
      "new model, migrated prompt",
    ]);
    expect(table.rows[0].model).toBe("openai:gpt-4o-mini");
    expect(table.rows[1].model).toBe(`openai:${NEW}`);
    expect(table.rows[1].instruction).toBe(table.rows[0].instruction);
    for (const row of table.rows) {
      expect(row.score).toBeGreaterThanOrEqual(0);
      expect(row.low).toBeLessThanOrEqual(row.score);
      expect(row.usdPer1k).toBeGreaterThan(0);
    }
    // the new model's price is not the old one's
    expect(table.rows[1].usdPer1k).not.toBeCloseTo(table.rows[0].usdPer1k, 9);
    expect(table.verdict).toMatch(/^(ship|don't ship|inconclusive)/);

    const ledger = openLedger(ledgerFile, { create: false });
    try {
      const run = ledger.getRun(newId);
      expect(run.config.migratedFrom).toBe(oldId);
      expect(run.config.target).toBe(`openai:${NEW}`);
      expect(run.config.warmStart).toHaveLength(4);
      const oldRecords = ledger.evaluations(oldId);
      const oldWinner = oldRecords.find((r) => r.index === ledger.getRun(oldId).result!.bestIndex)!;
      expect(run.config.warmStart![0]).toEqual({ z: oldWinner.z, instruction: oldWinner.instruction });
      const records = ledger.evaluations(newId);
      expect(records).toHaveLength(12);
      records.slice(0, 4).forEach((r, i) => {
        expect(r.z).toEqual(run.config.warmStart![i].z);
        expect(r.instruction).toBe(run.config.warmStart![i].instruction);
      });
      // money: reported = the spend log; answered <= reported, the rest in flight at the kill
      const spend = ledger.spendBySource(newId).target;
      const answered = newRequests().filter((e) => e.status === 200 && e.end !== undefined);
      expect(run.result!.totals.calls).toBe(spend.calls);
      expect(spend.calls).toBeGreaterThanOrEqual(answered.length);
      expect(spend.calls - answered.length).toBeLessThanOrEqual(spend.lost);
      let usd = 0;
      for (const e of answered)
        usd += estimateCost(`openai:${NEW}`, {
          inputTokens: estimateTokens(e.prompt),
          outputTokens: estimateTokens(newModelAnswer({ ...e, body: {} } as FakeRequest)),
        }).costUsd;
      expect(run.result!.totals.costUsd).toBeGreaterThanOrEqual(usd - 1e-12);
      if (spend.lost === 0) expect(run.result!.totals.costUsd).toBeCloseTo(usd, 12);
      // no prompt answered twice, except requests in flight at the kill
      const prompts = answered.map((e) => e.prompt);
      expect(prompts.length - new Set(prompts).size).toBeLessThanOrEqual(spend.lost);
    } finally {
      ledger.close();
    }
  });
});
