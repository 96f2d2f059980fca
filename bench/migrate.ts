/**
 * Migration to a new model (prints tables; not a test): how many black-box calls a warm-started
 * migration (`instructzero migrate`, exactly as the command configures it: session/migrate.ts's
 * migrationConfig) needs to reach the final accuracy of a cold-started search on the new model, when
 * the two models' instruction accuracies are correlated to different degrees.
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
 * argmax). Per seed and rho:
 *   - cold: a cold search on the new model (same protocol, same seed);
 *   - cold again: a second cold search on the new model with another seed (seed + 1000: another
 *     initial design, validation split and BO path), the noise floor: how often, and after how many
 *     calls, a search as good as the cold one reaches the cold one's final accuracy;
 *   - warm: the migration of the old run (`migrate --to` with its defaults: the warm start of the old
 *     top 20 soft prompts, raced, as its own budget line, then the same initial design and BO batches
 *     as the cold search, 150 evaluations after the warm start).
 * The anytime choice after C calls is the best fully scored record so far (what a run stopped by
 * --max-calls C would choose), and its TRUE accuracy on the new model is read off.
 *
 * Reported per rho: the median over seeds of the cold search's final accuracy, and the calls after
 * which each arm's median anytime accuracy (over seeds, in steps of 10 calls) first reaches it; the
 * same with means; the warm start's own calls; per seed, whether and after how many calls each arm
 * reached the cold search's final accuracy of that seed, and the warm final against the cold final
 * (better / equal / worse); and the best TRUE accuracy on the new model among the warm-start
 * candidates (what re-scoring old candidates can give at most, whatever the search does after it).
 *
 * Usage: npm run bench:migrate -- [--seeds 20] [--first-seed 0] [--rhos 0.9,0.5,0] [--budget 150]
 *        [--warm 20] [--full-warm] [--validation-size 20] [--instruction-tokens 6] [--json FILE]
 * (--full-warm: the warm start scored in full, `migrate --no-warm-racing`)
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
import { DEFAULT_WARM, migrationConfig } from "../src/session/migrate.js";
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
  fullWarm: boolean;
  validation: number;
  instructionTokens: number;
  json?: string;
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

/** True accuracy of the choice after `budget` calls (best fully scored record so far; 0: none yet). */
function accuracyAt(c: Curve, budget: number): number {
  let spent = 0;
  let best: Curve[number] | null = null;
  for (const rec of c) {
    spent += rec.calls;
    if (spent > budget) break;
    if (rec.full && (!best || rec.score > best.score)) best = rec;
  }
  return best ? best.acc : 0;
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
const final = (c: Curve) => accuracyAt(c, Number.POSITIVE_INFINITY);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** First multiple of 10 calls at which stat(anytime accuracies over seeds) >= target (null: never). */
function curveReach(cs: Curve[], target: number, stat: (xs: number[]) => number): number | null {
  const most = Math.max(...cs.map(total));
  for (let c = 10; c <= most + 10; c += 10)
    if (stat(cs.map((x) => accuracyAt(x, c))) >= target - 1e-12) return c;
  return null;
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
    seeds: num("seeds", 20),
    firstSeed: num("first-seed", 0),
    rhos,
    budget: num("budget", 150),
    warm: num("warm", DEFAULT_WARM),
    fullWarm: argv.includes("--full-warm"),
    validation: num("validation-size", 20),
    instructionTokens: num("instruction-tokens", 6),
    json: get("json"),
  };
}

interface Row {
  seed: number;
  cold: Curve;
  again: Curve;
  warm: Curve;
  warmCalls: number;
  warmSize: number;
  /** Best TRUE new-model accuracy among the warm-start candidates. */
  warmBest: number;
}

async function main(): Promise<void> {
  const p = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "iz-bench-migrate-"));
  const model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
  const { file, answers } = writeTaskFile(dir);
  const rows = new Map<number, Row[]>(p.rhos.map((r) => [r, []]));
  const config = (seed: number, target: string) =>
    makeRunConfig({
      task: file,
      target,
      generator: model,
      budget: p.budget,
      validationSize: p.validation,
      instructionTokens: p.instructionTokens,
      seed,
      selection: "validation",
      concurrency: 8,
      cache: false,
    });
  for (let seed = p.firstSeed; seed < p.firstSeed + p.seeds; seed++) {
    const ledger = openLedger(":memory:");
    // the old run does not depend on rho (the old model's draws are the same at every level)
    const oldWorlds = new Worlds(seed, 1);
    const old = await run(
      ledger,
      config(seed, "sim:old"),
      simulatedBlackBox(oldWorlds, "old", answers),
      model,
    );
    for (const rho of p.rhos) {
      const worlds = new Worlds(seed, rho);
      const newBox = () => simulatedBlackBox(worlds, "new", answers);
      const target = `sim:new-${rho}`;
      const cold = await run(ledger, config(seed, target), newBox(), model);
      const again = await run(ledger, config(seed + 1000, target), newBox(), model);
      const warmConfig = migrationConfig(ledger, ledger.getRun(old.runId), target, {
        budget: p.budget,
        warm: p.warm,
        warmRacing: !p.fullWarm,
      });
      const warm = await run(ledger, warmConfig, newBox(), model);
      const w = curveOf(ledger, warm.runId, worlds, p.validation);
      const size = warmConfig.warmStart?.length ?? 0;
      rows.get(rho)!.push({
        seed,
        cold: curveOf(ledger, cold.runId, worlds, p.validation),
        again: curveOf(ledger, again.runId, worlds, p.validation),
        warm: w,
        warmCalls: total(w.slice(0, size)),
        warmSize: size,
        warmBest: Math.max(...(warmConfig.warmStart ?? []).map((c) => worlds.accuracy("new", c.instruction))),
      });
      process.stderr.write(`\rseed ${seed} rho ${rho}   `);
    }
    ledger.close();
  }
  process.stderr.write("\n");
  if (p.json) writeFileSync(p.json, JSON.stringify(Object.fromEntries(rows), null, 1));
  report(p, rows);
}

function report(p: Params, rows: Map<number, Row[]>): void {
  const f3 = (x: number) => x.toFixed(3);
  const calls = (x: number | null) => (x === null ? "never" : String(x));
  console.log(
    `\n${p.seeds} seeds (${p.firstSeed}..${p.firstSeed + p.seeds - 1}), ${p.budget} evaluations per search (the migration: after its warm start of ${p.warm} old candidates${p.fullWarm ? ", scored in full" : ", raced"}), ${p.validation} validation examples; accuracies are TRUE accuracies on the new model; "cold again" is a second cold search (seed + 1000), the noise floor\n`,
  );
  console.log("Median curves over seeds (the primary figure; the mean curves in brackets):\n");
  console.log(
    "| rho | cold: final median (mean) | calls to it: cold | calls to it: warm | warm / cold | warm start's own calls | calls to it: cold again | warm: final median (mean) |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const rho of p.rhos) {
    const rs = rows.get(rho)!;
    const coldFinals = rs.map((r) => final(r.cold));
    const tMed = median(coldFinals);
    const tMean = mean(coldFinals);
    const reach = (pick: (r: Row) => Curve) => ({
      med: curveReach(rs.map(pick), tMed, median),
      mean: curveReach(rs.map(pick), tMean, mean),
    });
    const cold = reach((r) => r.cold);
    const warm = reach((r) => r.warm);
    const again = reach((r) => r.again);
    const own = median(rs.map((r) => r.warmCalls));
    const ratio = cold.med && warm.med ? (warm.med / cold.med).toFixed(2) : "-";
    console.log(
      `| ${rho} | ${f3(tMed)} (${f3(tMean)}) | ${calls(cold.med)} (${calls(cold.mean)}) | ${calls(warm.med)} (${calls(warm.mean)}) | ${ratio} | ${own.toFixed(0)} | ${calls(again.med)} (${calls(again.mean)}) | ${f3(median(rs.map((r) => final(r.warm))))} (${f3(mean(rs.map((r) => final(r.warm))))}) |`,
    );
  }
  const points = [250, 500, 1000, 1500, 2000];
  console.log("\nMean TRUE accuracy of the anytime choice after C calls (cold / cold again / warm):\n");
  console.log(`| rho | ${points.map((c) => `${c} calls`).join(" | ")} | final |`);
  console.log(`| --- | ${points.map(() => "---:").join(" | ")} | ---: |`);
  for (const rho of p.rhos) {
    const rs = rows.get(rho)!;
    const at = (c: number) =>
      [rs.map((r) => r.cold), rs.map((r) => r.again), rs.map((r) => r.warm)]
        .map((cs) => f3(mean(cs.map((x) => accuracyAt(x, c)))))
        .join(" / ");
    console.log(`| ${rho} | ${points.map(at).join(" | ")} | ${at(Number.POSITIVE_INFINITY)} |`);
  }
  console.log("\nPer seed (each seed's own cold final accuracy as the target):\n");
  console.log(
    "| rho | cold: calls to its final (median) | warm reached it (seeds) | warm: calls (median of those that did) | cold again reached it (seeds) | warm final vs cold final: better / equal / worse | best old candidate on the new model (median) |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const rho of p.rhos) {
    const rs = rows.get(rho)!;
    const coldFinal = rs.map((r) => final(r.cold));
    const coldCalls = rs.map((r, i) => callsToReach(r.cold, coldFinal[i]) ?? total(r.cold));
    const warmReach = rs.map((r, i) => callsToReach(r.warm, coldFinal[i]));
    const againReach = rs.map((r, i) => callsToReach(r.again, coldFinal[i]));
    const reached = warmReach.filter((c): c is number => c !== null);
    const cmp = rs.map((r, i) => Math.sign(Math.round((final(r.warm) - coldFinal[i]) * 1e9)));
    console.log(
      `| ${rho} | ${median(coldCalls).toFixed(0)} | ${reached.length}/${rs.length} | ${reached.length ? median(reached).toFixed(0) : "-"} | ${againReach.filter((c) => c !== null).length}/${rs.length} | ${cmp.filter((x) => x > 0).length} / ${cmp.filter((x) => x === 0).length} / ${cmp.filter((x) => x < 0).length} | ${f3(median(rs.map((r) => r.warmBest)))} |`,
    );
    console.log(
      `  per seed (cold calls -> warm calls; warm start's own calls): ${rs.map((r, i) => `${r.seed}: ${coldCalls[i]}->${warmReach[i] ?? "never"} (${r.warmCalls})`).join(", ")}`,
    );
  }
}

await main();
