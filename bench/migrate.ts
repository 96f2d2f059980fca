/**
 * Migration to a new model (prints tables; not a test): how many black-box calls a warm-started
 * migration (`instructzero migrate`: the old run's top soft prompts scored first on the new model,
 * then BO on top of them) needs to reach the final accuracy of a cold-started search on the new
 * model, when the two models' instruction accuracies are correlated to different degrees.
 *
 * The simulation is bench/efficiency.ts's, with two black boxes. Every instruction has a latent
 * accuracy on each model, built from its text so that similar instructions score alike:
 *   logit acc_m = mu + sigma * x_m(instruction),
 *   x(t) = 0.4 g(p3) + 0.5 g(p5) + 0.5 g(p8) + 0.6 g(t)   (standard normal draws from hashes of the
 *   first 3, 5, 8 characters and of the text; Var x = 1.02),
 *   x_old = x(t; draws A), x_new = rho * x(t; A) + sqrt(1 - rho^2) * x(t; B), A and B independent,
 * so rho is the correlation of the two models' latent logits over instructions (mu -1, sigma 1.5: the
 * "medium" task of bench:efficiency). Three levels: rho 0.9 (a newer model of the same family),
 * 0.5, 0 (unrelated). Each black box answers right with probability acc, a seeded draw per query
 * (example difficulty shared by instructions), and counts every call.
 *
 * Per seed: the old run is a cold search on the old model (the paper's protocol: 150 evaluations,
 * 25 + 5 x 25, 20 validation examples, micro random generator, 6-token instructions, validation
 * argmax). Per seed and rho: a cold search on the new model (same protocol, same seed) and the
 * migration of the old run to the new model (session/migrate.ts's configuration: the old top 10 soft
 * prompts with their instructions as the first batch, then the same initial design of 25 and BO
 * batches of 25, to 150 evaluations in all: 10 + 25 + 4 x 25 + 15). The
 * anytime choice after C calls is the best fully scored record so far (what a run stopped by
 * --max-calls C would choose), and its TRUE accuracy on the new model is read off.
 *
 * Reported per rho, as in bench:efficiency: the median over seeds of the cold search's final accuracy,
 * and the calls after which each search's median anytime accuracy (over seeds, in steps of 10 calls)
 * first reaches it; the warm start's own scoring calls; per seed, the calls the cold search needed to
 * reach its own final accuracy (its choice's first appearance) and the calls the migration needed to
 * reach that accuracy ("never": it did not within its budget).
 *
 * Usage: npm run bench:migrate -- [--seeds 10] [--first-seed 0] [--rhos 0.9,0.5,0] [--budget 150]
 *        [--warm 10] [--validation-size 20] [--instruction-tokens 6]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseInstructionPrompt } from "../fixtures/fake-openai.js";
import type { BlackBox, Completion, CompletionRequest, UsageTotals } from "../src/blackbox/types.js";
import { normCdf } from "../src/bo/normal.js";
import type { RunConfig } from "../src/config/schema.js";
import { openGenerator } from "../src/generator/backends/index.js";
import { buildTestModel } from "../src/generator/test-model/build.js";
import { createBoPointProposer } from "../src/optimizers/bo-proposer.js";
import { executeRun, makeRunConfig } from "../src/optimizers/run.js";
import { migrationConfig } from "../src/session/migrate.js";
import { type Ledger, openLedger } from "../src/store/ledger.js";
import { Rng, seedFor } from "../src/util/rng.js";

const PREFIXES = [3, 5, 8] as const;
const MU = -1;
const SIGMA = 1.5;

/** Two models' latent accuracies over instructions, correlated by rho. */
class Worlds {
  private readonly cache = new Map<string, number>();
  constructor(
    private readonly seed: number,
    private readonly rho: number,
  ) {}

  private g(label: string): number {
    let v = this.cache.get(label);
    if (v === undefined) {
      v = new Rng(seedFor(this.seed, label)).normal();
      this.cache.set(label, v);
    }
    return v;
  }

  private x(instruction: string, draws: string): number {
    const chars = [...instruction];
    const [a, b, c] = PREFIXES.map((k) => chars.slice(0, k).join(""));
    return (
      0.4 * this.g(`${draws}a:${a}`) +
      0.5 * this.g(`${draws}b:${b}`) +
      0.5 * this.g(`${draws}c:${c}`) +
      0.6 * this.g(`${draws}t:${instruction}`)
    );
  }

  /** True accuracy of `instruction` on the old or the new model. */
  accuracy(model: "old" | "new", instruction: string): number {
    if (instruction === "") return 1 / (1 + Math.exp(-(MU - 1)));
    const xa = this.x(instruction, "A");
    const x = model === "old" ? xa : this.rho * xa + Math.sqrt(1 - this.rho ** 2) * this.x(instruction, "B");
    return 1 / (1 + Math.exp(-(MU + SIGMA * x)));
  }

  right(model: "old" | "new", instruction: string, input: string): boolean {
    const family = [...instruction].slice(0, PREFIXES[1]).join("");
    const v =
      0.5 * this.g(`${model}e:${input}`) +
      0.5 * this.g(`${model}f:${family}:${input}`) +
      Math.SQRT1_2 * this.g(`${model}u:${instruction}:${input}`);
    return normCdf(v) < this.accuracy(model, instruction);
  }
}

function simulatedBlackBox(worlds: Worlds, model: "old" | "new", answers: Map<string, string>): BlackBox {
  let calls = 0;
  return {
    id: `sim:${model}`,
    async complete(request: CompletionRequest): Promise<Completion> {
      calls++;
      const parts = request.parts ?? parseInstructionPrompt(request.prompt);
      const instruction = parts?.instruction ?? "";
      const input = parts?.input ?? "";
      const text = worlds.right(model, instruction, input) ? (answers.get(input) ?? "?") : "wrong";
      return { text, usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, cached: false };
    },
    totals(): UsageTotals {
      return {
        completions: calls,
        requests: calls,
        cacheHits: 0,
        retries: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      };
    },
    async close() {},
  };
}

function writeTaskFile(dir: string): { file: string; answers: Map<string, string> } {
  const answers = new Map<string, string>();
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const input = `item ${i}`;
    const output = `answer ${(i * 7919) % 1000}`;
    answers.set(input, output);
    lines.push(JSON.stringify({ input, output }));
  }
  const file = join(dir, "sim.jsonl");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { file, answers };
}

interface Params {
  seeds: number;
  firstSeed: number;
  rhos: number[];
  budget: number;
  warm: number;
  validation: number;
  instructionTokens: number;
}

type Curve = { calls: number; full: boolean; score: number; acc: number }[];

async function run(
  ledger: Ledger,
  config: RunConfig,
  blackBox: BlackBox,
  model: string,
): Promise<{ runId: string }> {
  const runId = ledger.createRun(config);
  const generator = await openGenerator({
    source: model,
    seed: config.seed,
    nTokens: config.nTokens,
    intrinsicDim: config.intrinsicDim,
    projection: config.projection,
    dtype: config.generatorDtype,
    maxNewTokens: config.instructionTokens,
  });
  try {
    await executeRun(runId, {
      ledger,
      blackBox,
      generator,
      pointProposer: createBoPointProposer(),
      skipTest: true,
    });
  } finally {
    await generator.close();
  }
  return { runId };
}

function curveOf(ledger: Ledger, runId: string, worlds: Worlds, validation: number): Curve {
  return ledger.evaluations(runId).map((r) => ({
    calls: r.calls,
    full: r.scores.length >= validation && !r.empty,
    score: r.score,
    acc: r.empty ? 0 : worlds.accuracy("new", r.instruction),
  }));
}

/** True accuracy of the choice after `budget` calls (best fully scored record so far). */
function accuracyAt(c: Curve, budget: number): number {
  let spent = 0;
  let best: Curve[number] | null = null;
  for (const rec of c) {
    spent += rec.calls;
    if (spent > budget) break;
    if (rec.full && (!best || rec.score > best.score)) best = rec;
  }
  return best ? best.acc : Number.NaN;
}

/** Calls after which the anytime choice first has accuracy >= target (null: never). */
function callsToReach(c: Curve, target: number): number | null {
  let spent = 0;
  let best: Curve[number] | null = null;
  for (const rec of c) {
    spent += rec.calls;
    if (rec.full && (!best || rec.score > best.score)) best = rec;
    if (best && best.acc >= target - 1e-12) return spent;
  }
  return null;
}

const total = (c: Curve) => c.reduce((a, r) => a + r.calls, 0);
const nanToZero = (x: number) => (Number.isNaN(x) ? 0 : x);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function parseArgs(argv: string[]): Params {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got ${v}`);
    return n;
  };
  const rhos = (get("rhos") ?? "0.9,0.5,0").split(",").map(Number);
  for (const r of rhos) if (!(r >= 0 && r <= 1)) throw new Error(`--rhos: ${r} is not in [0, 1]`);
  return {
    seeds: num("seeds", 10),
    firstSeed: num("first-seed", 0),
    rhos,
    budget: num("budget", 150),
    warm: num("warm", 10),
    validation: num("validation-size", 20),
    instructionTokens: num("instruction-tokens", 6),
  };
}

async function main(): Promise<void> {
  const p = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "iz-bench-migrate-"));
  const model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
  const { file, answers } = writeTaskFile(dir);
  const rows = new Map<number, { cold: Curve; warm: Curve; warmCalls: number }[]>(p.rhos.map((r) => [r, []]));
  for (let seed = p.firstSeed; seed < p.firstSeed + p.seeds; seed++) {
    const ledger = openLedger(":memory:");
    const base = makeRunConfig({
      task: file,
      target: "sim:old",
      generator: model,
      budget: p.budget,
      validationSize: p.validation,
      instructionTokens: p.instructionTokens,
      seed,
      selection: "validation",
      concurrency: 8,
      cache: false,
    });
    // the old run does not depend on rho (the old model's draws are the same at every level)
    const oldWorlds = new Worlds(seed, 1);
    const old = await run(ledger, base, simulatedBlackBox(oldWorlds, "old", answers), model);
    for (const rho of p.rhos) {
      const worlds = new Worlds(seed, rho);
      const newBox = () => simulatedBlackBox(worlds, "new", answers);
      const coldConfig = { ...base, target: `sim:new-${rho}` };
      const cold = await run(ledger, coldConfig, newBox(), model);
      const warmConfig = migrationConfig(ledger, ledger.getRun(old.runId), `sim:new-${rho}`, {
        budget: p.budget,
        warm: p.warm,
      });
      const warm = await run(ledger, warmConfig, newBox(), model);
      const w = curveOf(ledger, warm.runId, worlds, p.validation);
      rows.get(rho)!.push({
        cold: curveOf(ledger, cold.runId, worlds, p.validation),
        warm: w,
        warmCalls: w.slice(0, warmConfig.warmStart?.length ?? 0).reduce((a, r) => a + r.calls, 0),
      });
      process.stderr.write(`\rseed ${seed} rho ${rho}   `);
    }
    ledger.close();
  }
  process.stderr.write("\n");
  console.log(
    `\n${p.seeds} seeds (${p.firstSeed}..${p.firstSeed + p.seeds - 1}), ${p.budget} evaluations per search, ${p.validation} validation examples, warm start ${p.warm} old candidates; accuracies are TRUE accuracies on the new model\n`,
  );
  console.log("\nMedian curves over seeds (the primary figure):\n");
  console.log(
    "| rho | cold: final median accuracy | cold: calls to it | warm: calls to it | warm / cold | warm start's own calls | cold + warm start's calls | warm: final median accuracy |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const rho of p.rhos) {
    const rs = rows.get(rho)!;
    const target = median(rs.map((r) => accuracyAt(r.cold, Number.POSITIVE_INFINITY)));
    const reach = (cs: Curve[]) => {
      const most = Math.max(...cs.map(total));
      for (let c = 10; c <= most + 10; c += 10)
        if (median(cs.map((x) => nanToZero(accuracyAt(x, c)))) >= target - 1e-12) return c;
      return null;
    };
    const cold = reach(rs.map((r) => r.cold));
    const warm = reach(rs.map((r) => r.warm));
    const own = median(rs.map((r) => r.warmCalls));
    console.log(
      `| ${rho} | ${target.toFixed(3)} | ${cold ?? "never"} | ${warm ?? "never"} | ${cold && warm ? (warm / cold).toFixed(2) : "-"} | ${own.toFixed(0)} | ${cold === null ? "-" : (cold + own).toFixed(0)} | ${median(rs.map((r) => accuracyAt(r.warm, Number.POSITIVE_INFINITY))).toFixed(3)} |`,
    );
  }
  console.log("\nPer seed:\n");
  console.log(
    "| rho | cold: final accuracy | cold: calls to its final | warm: calls to cold's final | warm reached (seeds) | warm / cold calls | warm start's own calls | warm: final accuracy | warm: accuracy at cold's calls |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const rho of p.rhos) {
    const rs = rows.get(rho)!;
    const coldFinal = rs.map((r) => accuracyAt(r.cold, Number.POSITIVE_INFINITY));
    const coldCalls = rs.map((r, i) => callsToReach(r.cold, coldFinal[i]) ?? total(r.cold));
    const warmReach = rs.map((r, i) => callsToReach(r.warm, coldFinal[i]));
    const warmCalls = warmReach.map((c, i) => c ?? total(rs[i].warm));
    const ratio = warmCalls.map((c, i) => c / coldCalls[i]);
    const warmFinal = rs.map((r) => accuracyAt(r.warm, Number.POSITIVE_INFINITY));
    const warmAtCold = rs.map((r, i) => accuracyAt(r.warm, coldCalls[i]));
    console.log(
      `| ${rho} | ${median(coldFinal).toFixed(3)} | ${median(coldCalls).toFixed(0)} | ${median(warmCalls).toFixed(0)} | ${warmReach.filter((c) => c !== null).length}/${rs.length} | ${median(ratio).toFixed(2)} | ${median(rs.map((r) => r.warmCalls)).toFixed(0)} | ${median(warmFinal).toFixed(3)} | ${median(warmAtCold.map((x) => (Number.isNaN(x) ? 0 : x))).toFixed(3)} |`,
    );
    console.log(
      `  per seed (cold calls -> warm calls): ${coldCalls.map((c, i) => `${c}->${warmReach[i] ?? `never(${warmCalls[i]})`}`).join(", ")}`,
    );
  }
}

await main();
