/**
 * Cost per candidate and migration against the fake OpenAI server (built CLI):
 * - every candidate's dollars per 1,000 queries equal its paid calls at the target's prices (and sum to
 *   the spend log's search dollars); its median latency is at least the server's added latency;
 * - `migrate` to a second model name that answers differently: killed with SIGKILL during the search
 *   and again while the old top candidates are scored on the test split, the same command continues
 *   it; the warm start is the old run's top soft prompts and instructions; each of the old run's top
 *   candidates is scored on the new model's validation, selection and test splits (its test scores are
 *   the new model's answers); money is exact (reported = spend log, answered <= reported, the
 *   difference only requests in flight at the kills; at most the dry run's calls); the table has the
 *   old prompt, the old candidates and the migrated prompt (each selection score with the number of
 *   selection examples it is over: the adaptive race stops some early), and a verdict.
 */
import { readFileSync } from "node:fs";
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

  it("warm-starts a new run on the new model, scores the old top candidates on selection and test; killed twice and run again, it finishes with exact money", async () => {
    const old = await runCli(oldRunArgs(server, "mig"), { env });
    expect(old.code, old.stderr).toBe(0);
    const oldId = JSON.parse(old.stdout).runId as string;
    const ledgerFile = join(fx.dir, "mig.ledger.sqlite");
    const migrate = ["migrate", oldId, "--to", `openai:${NEW}`, "--budget", "12", "--warm", "4"];
    const args = [...migrate, "--ledger", ledgerFile, "--json"];
    // the old run's top candidates: its winner, then the rest of its selection's top k
    const lo = openLedger(ledgerFile, { create: false });
    const oldRun = lo.getRun(oldId);
    const oldRecords = lo.evaluations(oldId);
    const oldSel = oldRun.result!.selection!;
    const testInputs = new Set(lo.getExamples(oldId, "test")!.map((e) => e.input));
    lo.close();
    expect(oldSel.rule).toBe("fresh");
    const oldWinner = oldRecords.find((r) => r.index === oldRun.result!.bestIndex)!;
    const expectedOld = [
      oldWinner.instruction,
      ...[...oldSel.candidates]
        .sort((a, b) => b.score - a.score || b.validationScore - a.validationScore || a.index - b.index)
        .map((c) => c.instruction),
    ].filter((x, i, all) => all.indexOf(x) === i);
    expect(expectedOld.length).toBeGreaterThan(1);

    const dry = await runCli([...migrate, "--ledger", ledgerFile, "--dry-run"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/warm start +4 old candidates, 4 evaluations on top of the search's budget/);
    expect(dry.stdout).toMatch(/12 evaluations after the warm start \(16 in all\)/);
    expect(dry.stdout).toMatch(new RegExp(`old candidates +the old run's top ${expectedOld.length} `));
    expect(dry.stdout).toMatch(/estimated cost +\$/);
    const dryJson = await runCli([...migrate, "--ledger", ledgerFile, "--dry-run", "--json"], { env });
    const [plan] = JSON.parse(dryJson.stdout);
    expect(plan.plan.oldCandidateCalls).toBe(expectedOld.length * testInputs.size);
    expect(dry.stdout).toContain(`${plan.plan.oldCandidateCalls} old candidates on test`);

    const from = server.requests.length;
    const newRequests = () => server.requests.slice(from).filter((e) => e.model === NEW);
    // an old candidate (not the old winner, which is a baseline) on a test example
    const oldOnTest = (e: FakeRequest) => {
      const p = parseInstructionPrompt(e.prompt);
      return !!p && testInputs.has(p.input) && expectedOld.slice(1).includes(p.instruction);
    };
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
    expect(midRun.evaluations).toBeLessThan(16);
    // killed again while the old candidates are scored on the test split
    const killedAgain = await runCli(args, {
      env,
      onSpawn: (kill) => {
        const timer = setInterval(() => {
          if (newRequests().some(oldOnTest)) {
            clearInterval(timer);
            kill("SIGKILL");
          }
        }, 1);
      },
    });
    expect(killedAgain.signal).toBe("SIGKILL");

    const again = await runCli(args, { env });
    expect(again.code, again.stderr).toBe(0);
    // the text form of the same (finished) migration: no new call, the table and the verdict
    const before = server.requests.length;
    const text = await runCli([...migrate, "--ledger", ledgerFile], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(text.stdout).toMatch(/\| openai:gpt-4o-mini \| old prompt: /);
    expect(text.stdout).toMatch(/\| openai:gpt-4\.1-mini \| old candidate 2: /);
    expect(text.stdout).toMatch(/\| openai:gpt-4\.1-mini \| migrated prompt: /);
    expect(text.stdout).toMatch(/^verdict: (ship|don't ship|inconclusive)/m);
    const [table] = JSON.parse(again.stdout);
    expect(table.runId).toBe(newId);
    expect(table.status).toBe("completed");
    expect(table.rows.map((r: { label: string }) => r.label)).toEqual([
      "old model, old prompt",
      "new model, old prompt",
      ...expectedOld.slice(1).map((_, i) => `new model, old candidate ${i + 2}`),
      "new model, migrated prompt",
    ]);
    expect(table.rows[0].model).toBe("openai:gpt-4o-mini");
    expect(table.rows[1].model).toBe(`openai:${NEW}`);
    expect(table.rows[1].instruction).toBe(table.rows[0].instruction);
    expect(table.rows.slice(1, -1).map((r: { instruction: string }) => r.instruction)).toEqual(expectedOld);
    for (const row of table.rows) {
      expect(row.score).toBeGreaterThanOrEqual(0);
      expect(row.low).toBeLessThanOrEqual(row.score);
      expect(row.usdPer1k).toBeGreaterThan(0);
      // every row was scored on its model's selection split
      expect(row.selection).toBeGreaterThanOrEqual(0);
    }
    // the new model's price is not the old one's
    expect(table.rows[1].usdPer1k).not.toBeCloseTo(table.rows[0].usdPer1k, 9);
    expect(table.verdict).toMatch(/^(ship|don't ship|inconclusive)/);

    // the report of the new run: the old candidates in its JSON and its HTML page
    const exported = await runCli(["report", newId, "--ledger", ledgerFile, "--json"], { env });
    expect(exported.code, exported.stderr).toBe(0);
    expect(
      JSON.parse(exported.stdout).oldCandidates.map((c: { instruction: string }) => c.instruction),
    ).toEqual(expectedOld);
    const page = join(fx.dir, "migration.html");
    const html = await runCli(["report", newId, "--ledger", ledgerFile, "--out", page], { env });
    expect(html.code, html.stderr).toBe(0);
    expect(readFileSync(page, "utf8")).toContain('<section id="migration">');

    const ledger = openLedger(ledgerFile, { create: false });
    try {
      const run = ledger.getRun(newId);
      expect(run.config.migratedFrom).toBe(oldId);
      expect(run.config.target).toBe(`openai:${NEW}`);
      expect(run.config.warmStart).toHaveLength(4);
      expect(run.config.oldCandidates!.map((c) => c.instruction)).toEqual(expectedOld);
      expect(run.config.warmStart![0]).toEqual({ z: oldWinner.z, instruction: oldWinner.instruction });
      const records = ledger.evaluations(newId);
      // the warm start's 4 on top of the search's 12, and the old candidates outside the warm start
      // as extra candidates
      expect(run.config.budget).toBe(16);
      const extra = expectedOld.filter((i) => !run.config.warmStart!.some((w) => w.instruction === i));
      expect(records).toHaveLength(16 + extra.length);
      records.slice(0, 4).forEach((r, i) => {
        expect(r.z).toEqual(run.config.warmStart![i].z);
        expect(r.instruction).toBe(run.config.warmStart![i].instruction);
      });
      // each old candidate: on validation (a record), the selection split and the test split
      const result = run.result!;
      const testExamples = ledger.getExamples(newId, "test")!;
      expect(result.oldCandidates).toHaveLength(expectedOld.length);
      for (const c of result.oldCandidates!) {
        const rec = records.find((r) => r.index === c.index)!;
        expect(rec.instruction).toBe(c.instruction);
        expect(c.validation).toBe(rec.score);
        const sel = result.selection!.candidates.find((x) => x.index === c.index)!;
        // the adaptive default races the selection: at least its first look (all with --post-search full)
        expect(sel.scores.length).toBeGreaterThan(0);
        expect(sel.scores.length).toBeLessThanOrEqual(result.selection!.size);
        expect(c.selection).toBe(sel.score);
        // the table says over how many selection examples (the race stops some after its first looks)
        const row = table.rows.find((r: { label: string }) => r.label === `new model, ${c.name}`);
        expect(row.selection).toBe(sel.score);
        expect(row.selectionN).toBe(sel.scores.length);
        expect(c.test!.scores).toHaveLength(testExamples.length);
        // the test scores are the new model's answers to these test examples
        testExamples.forEach((ex, i) => {
          const right = newModelAnswer({
            prompt: `${c.instruction}\n\nInput: ${ex.input}\nOutput:`,
          } as FakeRequest);
          expect(c.test!.scores[i], `${c.name} ${ex.input}`).toBe(right === reverse(ex.input) ? 1 : 0);
        });
        expect(c.test!.low).toBeLessThanOrEqual(c.test!.score);
      }
      // the migrated prompt's and the old model's rows too; the text marks a score over fewer examples
      const winnerSel = result.selection!.candidates.find((x) => x.index === result.bestIndex)!;
      expect(table.rows.at(-1).selectionN).toBe(winnerSel.scores.length);
      const oldWinnerSel = oldSel.candidates.find((x) => x.index === oldWinner.index)!;
      expect(table.rows[0].selectionN).toBe(oldWinnerSel.scores.length);
      const most = Math.max(...table.rows.map((r: { selectionN: number }) => r.selectionN));
      for (const row of table.rows) {
        const shown = `${row.selection.toFixed(3)}${row.selectionN < most ? ` (${row.selectionN})` : ""} |`;
        const prompt = row.label.split(", ")[1];
        const line = text.stdout.split("\n").find((l) => l.startsWith(`| ${row.model} | ${prompt}: `))!;
        expect(line, row.label).toContain(`| ${shown}`);
      }
      expect(text.stdout.includes("selection: a score with (n)")).toBe(
        table.rows.some((r: { selectionN: number }) => r.selectionN < most),
      );
      // money: reported = the spend log; answered <= reported, the rest in flight at the kills
      const spend = ledger.spendBySource(newId).target;
      const answered = newRequests().filter((e) => e.status === 200 && e.end !== undefined);
      expect(run.result!.totals.calls).toBe(spend.calls);
      expect(spend.calls).toBeGreaterThanOrEqual(answered.length);
      expect(spend.calls - answered.length).toBeLessThanOrEqual(spend.lost);
      expect(spend.calls).toBeLessThanOrEqual(plan.plan.maxCalls + spend.lost);
      let usd = 0;
      for (const e of answered)
        usd += estimateCost(`openai:${NEW}`, {
          inputTokens: estimateTokens(e.prompt),
          outputTokens: estimateTokens(newModelAnswer({ ...e, body: {} } as FakeRequest)),
        }).costUsd;
      expect(run.result!.totals.costUsd).toBeGreaterThanOrEqual(usd - 1e-12);
      if (spend.lost === 0) expect(run.result!.totals.costUsd).toBeCloseTo(usd, 12);
      // no prompt answered twice, except requests in flight at the kills
      const prompts = answered.map((e) => e.prompt);
      expect(prompts.length - new Set(prompts).size).toBeLessThanOrEqual(spend.lost);
      // every old candidate's test examples were asked (the old winner's as a baseline)
      for (const i of expectedOld)
        for (const input of testInputs)
          expect(
            answered.some((e) => {
              const p = parseInstructionPrompt(e.prompt);
              return p?.instruction === i && p.input === input;
            }),
            `${i} on ${input}`,
          ).toBe(true);
    } finally {
      ledger.close();
    }
  });

  it("races the warm start by default (a clearly worse old candidate stops early); --no-warm-racing scores each in full", async () => {
    const ledgerFile = join(fx.dir, "race.ledger.sqlite");
    // the validation rule: a warm candidate races the best fully scored one before it
    const old = await runCli(
      oldRunArgs(server, "race", ["--selection", "validation", "--validation-size", "15", "--no-cache"]),
      { env },
    );
    expect(old.code, old.stderr).toBe(0);
    const oldId = JSON.parse(old.stdout).runId as string;
    const migrate = ["migrate", oldId, "--to", `openai:${NEW}`, "--budget", "4", "--warm", "8"];
    const dry = await runCli([...migrate, "--ledger", ledgerFile, "--dry-run"], { env });
    expect(dry.stdout).toMatch(
      /warm start +8 old candidates, 8 evaluations on top of the search's budget \(raced/,
    );
    const raced = await runCli([...migrate, "--ledger", ledgerFile, "--json"], { env });
    expect(raced.code, raced.stderr).toBe(0);
    const full = await runCli([...migrate, "--no-warm-racing", "--ledger", ledgerFile, "--json"], { env });
    expect(full.code, full.stderr).toBe(0);
    const dryFull = await runCli([...migrate, "--no-warm-racing", "--ledger", ledgerFile, "--dry-run"], {
      env,
    });
    expect(dryFull.stdout).not.toMatch(/raced/);
    const ledger = openLedger(ledgerFile, { create: false });
    try {
      const [r, f] = [JSON.parse(raced.stdout)[0].runId, JSON.parse(full.stdout)[0].runId];
      expect(r).not.toBe(f);
      expect(ledger.getRun(r).config.warmRacing).toBe(true);
      expect(ledger.getRun(f).config.warmRacing).toBeUndefined();
      const warmOf = (id: string) => ledger.evaluations(id).slice(0, 8);
      // raced: the first is scored in full, some later ones stop after a block of 5; each paid call is a score
      const n = ledger.getExamples(r, "validation")!.length;
      expect(n).toBeGreaterThanOrEqual(10);
      const rw = warmOf(r);
      expect(rw[0].scores).toHaveLength(n);
      expect(rw.some((e) => e.scores.length < n)).toBe(true);
      for (const e of rw) {
        expect(e.scores.length % 5 === 0 || e.scores.length === n).toBe(true);
        if (e.scores.length < n) expect(e.scored).toBe(e.scores.length);
        if (!e.reused) expect(e.calls).toBe(e.scores.length);
      }
      // the same old candidates in full, at least as many calls; the search after them is not raced
      const fw = warmOf(f);
      expect(fw.map((e) => e.instruction)).toEqual(rw.map((e) => e.instruction));
      for (const e of fw) expect(e.scores).toHaveLength(n);
      for (const e of ledger.evaluations(r).slice(8))
        if (!e.empty && !e.reused) expect(e.scores).toHaveLength(n);
      const calls = (es: { calls: number }[]) => es.reduce((a, e) => a + e.calls, 0);
      expect(calls(rw)).toBeLessThan(calls(fw));
    } finally {
      ledger.close();
    }
  });
});
