/**
 * Few-shot prompts: instruction and demonstrations searched together, at equal black-box calls (prints
 * tables; not a test). The simulation is ours (no real model answers here), in the style of
 * bench/efficiency.ts, and works at the level of the black box's answers:
 *
 * - every instruction has a latent logit a(I) = mu + sigma (0.4 g(p3) + 0.5 g(p5) + 0.5 g(p8) + 0.6 g(I))
 *   (g a standard normal drawn from a hash of the world and its argument, p3, p5, p8 the instruction's
 *   first 3, 5, 8 characters: similar instructions have similar accuracies), mu -1, sigma 1.5;
 * - every demonstration d of the task has a latent effect e(d) = 0.35 + 0.9 g(d) on the logit: most
 *   help a little, some help a lot, about a third mislead;
 * - a prompt (I, S) with demonstration set S answers right with probability
 *     acc(I, S) = sigmoid(a(I) + sum_{d in S} e(d) / sqrt(|S|) + 0.3 h(S))
 *   (effects partly additive: h(S) a standard normal of the set itself, its interaction); a zero-shot
 *   prompt has acc(I) = sigmoid(a(I));
 * - the black box answers input x right iff Phi(0.5 e(x) + 0.5 f(p5, x) + 0.71 u(prompt, x)) < acc,
 *   a seeded draw (e: the example's difficulty; f: shared by instructions with the same first five
 *   characters; u: the prompt's own luck), so the same query always gets the same answer, every call is
 *   counted, and acc is the TRUE accuracy of the prompt over the task's inputs.
 *
 * Instructions come from the micro random-weight test generator (6 tokens per instruction), the runs
 * are `executeRun` (20 validation examples, the validation-argmax rule, no test phase), K = 4
 * demonstrations from a demo pool of 16. Protocols at equal calls C (1,000 and 3,000):
 * - instruction only: instructzero, zero-shot prompts;
 * - instruction + random demos: instructzero with the run's K fixed random demonstrations;
 * - mipro: the MIPROv2-style baseline (generated instruction pool x random demonstration sets,
 *   random search over the pairs), its budget C / 20 evaluations;
 * - demo-search: instructzero with --demo-search (soft prompt and demonstration set searched jointly).
 * instructzero protocols run once at the largest C and are read off at each C (the choice after C calls:
 * the best validation score among the records within C calls, as a run stopped by --max-calls C
 * chooses; the batch schedule does not depend on the budget). Reported: the median over seeds of the
 * true accuracy of the chosen prompt, with a 95% interval of the median (order statistics), and the
 * mean. Counts and accuracies only: no times.
 *
 * Usage: npm run bench:demos -- [--seeds 10] [--first-seed 0] [--calls 1000,3000]
 *        [--protocols instruction,random-demos,mipro,demo-search] [--k 4]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlackBox, Completion, CompletionRequest, UsageTotals } from "../src/blackbox/types.js";
import { normCdf } from "../src/bo/normal.js";
import type { RunOptions } from "../src/config/schema.js";
import { openGenerator } from "../src/generator/backends/index.js";
import { buildTestModel } from "../src/generator/test-model/build.js";
import { createBoPointProposer } from "../src/optimizers/bo-proposer.js";
import { executeRun, makeRunConfig } from "../src/optimizers/run.js";
import { openLedger } from "../src/store/ledger.js";
import type { EvaluationRecord } from "../src/store/types.js";
import { Rng, seedFor } from "../src/util/rng.js";

const VALIDATION = 20;
const PREFIXES = [3, 5, 8] as const;

const PROTOCOLS: Record<string, (k: number) => Partial<RunOptions>> = {
  instruction: () => ({ method: "instructzero" }),
  "random-demos": (k) => ({ method: "instructzero", targetDemos: k }),
  mipro: (k) => ({ method: "mipro", targetDemos: k }),
  "demo-search": (k) => ({ method: "instructzero", targetDemos: k, demoSearch: true }),
};

/** One simulated task (see the module comment). */
class World {
  private readonly cache = new Map<string, number>();
  private readonly seed: number;
  constructor(seed: number) {
    this.seed = seedFor(seed, "world:demos");
  }
  private g(label: string): number {
    let v = this.cache.get(label);
    if (v === undefined) {
      v = new Rng(seedFor(this.seed, label)).normal();
      this.cache.set(label, v);
    }
    return v;
  }
  /** Latent logit of an instruction ("" = no instruction: weak). */
  private logit(instruction: string): number {
    if (instruction === "") return -2.5;
    const chars = [...instruction];
    const [a, b, c] = PREFIXES.map((k) => chars.slice(0, k).join(""));
    const z =
      0.4 * this.g(`a:${a}`) +
      0.5 * this.g(`b:${b}`) +
      0.5 * this.g(`c:${c}`) +
      0.6 * this.g(`t:${instruction}`);
    return -1 + 1.5 * z;
  }
  /** Latent effect of one demonstration (by its input). */
  demoEffect(input: string): number {
    return 0.35 + 0.9 * this.g(`d:${input}`);
  }
  /** True accuracy of the prompt (instruction, demonstrations). */
  accuracy(instruction: string, demos: readonly string[]): number {
    let l = this.logit(instruction);
    if (demos.length) {
      const sum = demos.reduce((a, d) => a + this.demoEffect(d), 0);
      l += sum / Math.sqrt(demos.length) + 0.3 * this.g(`s:${[...demos].sort().join("|")}`);
    }
    return 1 / (1 + Math.exp(-l));
  }
  /** Whether the black box answers `input` right under the prompt (deterministic). */
  right(instruction: string, demos: readonly string[], input: string): boolean {
    const family = [...instruction].slice(0, PREFIXES[1]).join("");
    const prompt = `${instruction}\u0000${demos.join("\u0000")}`;
    const v =
      0.5 * this.g(`e:${input}`) +
      0.5 * this.g(`f:${family}:${input}`) +
      Math.SQRT1_2 * this.g(`u:${prompt}:${input}`);
    return normCdf(v) < this.accuracy(instruction, demos);
  }
}

/** An in-process black box answering from the world (reads the query's parts); every call counted. */
function simulatedBlackBox(world: World, answers: Map<string, string>): BlackBox {
  let calls = 0;
  return {
    id: "sim:bb",
    async complete(request: CompletionRequest): Promise<Completion> {
      calls++;
      const p = request.parts;
      const demos = (p?.demos ?? []).map((d) => d.input);
      const input = p?.input ?? "";
      const text = world.right(p?.instruction ?? "", demos, input) ? (answers.get(input) ?? "?") : "wrong";
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

interface RunRecords {
  records: { calls: number; score: number; acc: number }[];
}

async function runOne(
  protocol: string,
  seed: number,
  calls: number,
  k: number,
  model: string,
  file: string,
  answers: Map<string, string>,
): Promise<RunRecords> {
  const world = new World(seed);
  const ledger = openLedger(":memory:");
  const config = makeRunConfig({
    task: file,
    target: "sim:bb",
    generator: model,
    budget: Math.floor(calls / VALIDATION),
    validationSize: VALIDATION,
    instructionTokens: 6,
    seed,
    selection: "validation",
    concurrency: 8,
    cache: false,
    ...PROTOCOLS[protocol](k),
  });
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
  await executeRun(runId, {
    ledger,
    blackBox: simulatedBlackBox(world, answers),
    generator,
    pointProposer: createBoPointProposer(),
    skipTest: true,
  });
  await generator.close();
  const evals: EvaluationRecord[] = ledger.evaluations(runId);
  ledger.close();
  return {
    records: evals.map((r) => ({
      calls: r.calls,
      score: r.empty ? -1 : r.score,
      acc: r.empty
        ? 0
        : world.accuracy(
            r.instruction,
            (r.demos ?? []).map((d) => d.input),
          ),
    })),
  };
}

/** True accuracy of the choice after `budget` calls: the best validation score so far (earliest on ties). */
function accuracyAt(r: RunRecords, budget: number): number {
  let spent = 0;
  let best: RunRecords["records"][number] | null = null;
  for (const rec of r.records) {
    spent += rec.calls;
    if (spent > budget) break;
    if (!best || rec.score > best.score) best = rec;
  }
  return best ? best.acc : Number.NaN;
}

/** Median and a 95% distribution-free interval of the median (order statistics of the binomial). */
function medianInterval(xs: number[]): { median: number; low: number; high: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const m = n >> 1;
  const median = n % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  // largest j with P(Binomial(n, 1/2) < j) <= 2.5%
  let j = 0;
  let cdf = 0;
  const pmf = (i: number) => {
    let c = 1;
    for (let t = 0; t < i; t++) c = (c * (n - t)) / (t + 1);
    return c / 2 ** n;
  };
  while (j < n && cdf + pmf(j) <= 0.025) cdf += pmf(j++);
  return {
    median,
    low: s[Math.max(0, j - 1)],
    high: s[Math.min(n - 1, n - j)],
    mean: s.reduce((a, b) => a + b, 0) / n,
  };
}

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    seeds: Number(get("seeds") ?? 10),
    firstSeed: Number(get("first-seed") ?? 0),
    calls: (get("calls") ?? "1000,3000").split(",").map(Number),
    protocols: (get("protocols") ?? "instruction,random-demos,mipro,demo-search").split(","),
    k: Number(get("k") ?? 4),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    console.log(
      "npm run bench:demos -- [--seeds 10] [--first-seed 0] [--calls 1000,3000] [--protocols instruction,random-demos,mipro,demo-search] [--k 4]",
    );
    return;
  }
  const p = parseArgs(argv);
  const dir = mkdtempSync(join(tmpdir(), "iz-bench-demos-"));
  const model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
  const { file, answers } = writeTaskFile(dir);
  const maxCalls = Math.max(...p.calls);
  // accuracy of the chosen prompt: [protocol][calls][seed]
  const acc = new Map<string, Map<number, number[]>>();
  const add = (protocol: string, c: number, v: number) => {
    const byCalls = acc.get(protocol) ?? new Map<number, number[]>();
    acc.set(protocol, byCalls);
    byCalls.set(c, [...(byCalls.get(c) ?? []), v]);
  };
  let done = 0;
  const total = p.seeds * p.protocols.reduce((a, pr) => a + (pr === "mipro" ? p.calls.length : 1), 0);
  for (let seed = p.firstSeed; seed < p.firstSeed + p.seeds; seed++) {
    for (const protocol of p.protocols) {
      // mipro's pools depend on its budget: one run per call level; the others are read off one run
      const levels = protocol === "mipro" ? p.calls : [maxCalls];
      for (const level of levels) {
        const r = await runOne(protocol, seed, level, p.k, model, file, answers);
        for (const c of protocol === "mipro" ? [level] : p.calls) add(protocol, c, accuracyAt(r, c));
        process.stderr.write(`\r${++done}/${total} runs`);
      }
    }
  }
  process.stderr.write("\n");
  console.log(
    `\nbench:demos (simulation ours, see bench/demos.ts): ${p.seeds} seeds (${p.firstSeed}..${p.firstSeed + p.seeds - 1}), K = ${p.k} demonstrations, ${VALIDATION} validation examples; true accuracy of the chosen prompt`,
  );
  console.log(`\n| protocol | ${p.calls.map((c) => `${c} calls: median [95% CI] (mean)`).join(" | ")} |`);
  console.log(`|---|${p.calls.map(() => "---").join("|")}|`);
  for (const protocol of p.protocols) {
    const cells = p.calls.map((c) => {
      const s = medianInterval(acc.get(protocol)?.get(c) ?? [Number.NaN]);
      return `${s.median.toFixed(3)} [${s.low.toFixed(3)}, ${s.high.toFixed(3)}] (${s.mean.toFixed(3)})`;
    });
    console.log(`| ${protocol} | ${cells.join(" | ")} |`);
  }
  // paired comparison with demo-search, seed by seed
  if (p.protocols.includes("demo-search")) {
    console.log("\ndemo-search against each protocol, seed by seed (wins / ties / losses on true accuracy):");
    for (const c of p.calls) {
      const ds = acc.get("demo-search")?.get(c) ?? [];
      const parts = p.protocols
        .filter((x) => x !== "demo-search")
        .map((x) => {
          const o = acc.get(x)?.get(c) ?? [];
          let w = 0;
          let t = 0;
          let l = 0;
          ds.forEach((v, i) => {
            if (Math.abs(v - o[i]) < 1e-12) t++;
            else if (v > o[i]) w++;
            else l++;
          });
          return `${x} ${w}/${t}/${l}`;
        });
      console.log(`  ${c} calls: ${parts.join(", ")}`);
    }
  }
}

await main();
