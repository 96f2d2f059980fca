/**
 * Calls against accuracy (prints tables and a curve; not a test): how many black-box calls each search
 * protocol needs to find a good instruction, on a simulated task suite run through the real optimiser.
 *
 * The simulation works at the level of the black box's answers. Each task is a "world" (seeded per
 * task and seed) in which every instruction has a latent accuracy, built hierarchically from the text
 * so that similar instructions (sharing their first characters) have similar accuracies:
 *   logit acc = mu + sigma (0.4 g(p3) + 0.5 g(p5) + 0.5 g(p8) + 0.6 g(text)),
 * g(.) a standard normal drawn from a hash of the world and its argument, p3, p5, p8 the first 3, 5, 8
 * characters of the instruction. Over random soft prompts the median instruction has accuracy about
 * 0.1 (hard: mu -2, sigma 1.5), 0.3 (medium: -1, 1.5) or 0.25 (sharp: -1, 2.2) and the best of a
 * thousand 0.8-0.9, 0.9-0.97 and 0.98-1 (sharp has a few perfect instructions). The black box is an in-process
 * BlackBox: its complete() reads the instruction and input of each query and answers right with
 * probability acc, a seeded draw
 *   right <=> Phi(0.5 e(input) + 0.5 f(p5, input) + 0.71 u(text, input)) < acc
 * (e: the example's difficulty, shared by every instruction; f: shared by instructions with the same
 * first five characters; u: the instruction's own luck), so every call is counted as in a real run,
 * the same query always gets the same answer, and the TRUE accuracy of an instruction (over the
 * task's population of inputs) is acc. The instructions come from the micro random-weight test
 * generator (src/generator/test-model, 6 tokens per instruction: like a real instruct generator,
 * distant soft prompts often give the same instruction), the search is `executeRun` with BO and the
 * instruction-coupled kernel, 150 evaluations (25 + 5 x 25), 20 validation examples, then the phases
 * after the search as each protocol runs them (selection rule, baselines, test: see PROTOCOLS), every
 * call counted.
 *
 * Protocols: paper (reference batches), distinct (--batch-mode distinct), racing (--racing),
 * racing+distinct, efficient (--preset efficient: racing, distinct batches, stopAtPerfect), paper+pipelined
 * (--preset paper --pipelined: each batch's first chunk proposed while the previous batch's last one is
 * scored, the rest once it is). The protocols other than paper and paper+pipelined run as the defaults,
 * pipelined since the split (their README figures were measured before).
 * For each task, seed and protocol the records give an anytime curve: after C calls (records in index
 * order, each with the calls it made), the chosen instruction is the best fully scored record so far
 * (validation argmax, earliest on ties: what a run stopped by --max-calls C would choose), and its true
 * accuracy is read off. Reported: the median over seeds at call checkpoints, the calls each protocol
 * needs before its median reaches the paper protocol's final median, and a coarse ASCII curve.
 *
 * Usage: npm run bench:efficiency -- [--seeds 10] [--first-seed 0] [--tasks hard,medium,sharp]
 *        [--protocols paper,distinct,racing,racing+distinct,efficient] [--budget 150] [--validation-size 20]
 *        [--instruction-tokens 6] [--workers 2] [--racing-alpha 0.01] [--racing-block 5]
 */
import { fork } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseInstructionPrompt } from "../fixtures/fake-openai.js";
import type { BlackBox, Completion, CompletionRequest, UsageTotals } from "../src/blackbox/types.js";
import { normCdf } from "../src/bo/normal.js";
import type { RunOptions } from "../src/config/schema.js";
import { openGenerator } from "../src/generator/backends/index.js";
import { buildTestModel } from "../src/generator/test-model/build.js";
import { createBoPointProposer } from "../src/optimizers/bo-proposer.js";
import { executeRun, makeRunConfig } from "../src/optimizers/run.js";
import { openLedger } from "../src/store/ledger.js";
import { Rng, seedFor } from "../src/util/rng.js";

/**
 * Prefix lengths (characters) of the accuracy model's levels: the micro generator's instructions share
 * their first 1-2 characters almost always, so the levels start at 3 (21 groups over 1024 random soft
 * prompts), 5 (102) and 8 (288) characters.
 */
const PREFIXES = [3, 5, 8] as const;

/** A simulated task: the spread of its instructions' latent accuracies (logit scale). */
interface World {
  name: string;
  mu: number;
  sigma: number;
}

const WORLDS: Record<string, World> = {
  // few good instructions
  hard: { name: "hard", mu: -2, sigma: 1.5 },
  medium: { name: "medium", mu: -1, sigma: 1.5 },
  // a few instructions are (nearly) perfect: 20/20 on validation happens
  sharp: { name: "sharp", mu: -1, sigma: 2.2 },
};

/**
 * Each protocol as a run really runs it: paper is `--preset paper` (the reference's rules: validation
 * argmax with the latest of ties, raw instructions, its split, the full verdict), the others keep the
 * default fresh selection with the full verdict (top 5 on the whole selection split, each baseline on
 * validation and test: `postSearch: "full"`, as the README's table measured them; the default is now
 * the adaptive one), efficient is `--preset efficient` (with the adaptive verdict). Every run scores its
 * baselines and its test split, and every call is counted.
 */
const PROTOCOLS: Record<string, Partial<RunOptions>> = {
  paper: { preset: "paper" },
  "paper+pipelined": { preset: "paper", pipelined: true },
  distinct: { batchMode: "distinct", postSearch: "full" },
  racing: { racing: true, postSearch: "full" },
  "racing+distinct": { racing: true, batchMode: "distinct", postSearch: "full" },
  efficient: { preset: "efficient" },
};

interface Params {
  seeds: number;
  firstSeed: number;
  tasks: string[];
  protocols: string[];
  budget: number;
  validation: number;
  instructionTokens: number;
  workers: number;
  racingAlpha?: number;
  racingBlock?: number;
}

interface Job {
  task: string;
  seed: number;
  protocol: string;
}

/** What one run leaves: per record (index order) its calls, whether fully scored, its score and true accuracy. */
interface JobResult extends Job {
  records: { calls: number; full: boolean; score: number; acc: number }[];
  /** True accuracy of the run's own choice (out.best: by the selection rule the protocol uses). */
  chosenAcc: number;
  /** Every call the run paid: search, selection, baselines and test. */
  totalCalls: number;
  distinct: number;
  partial: number;
  evaluations: number;
  wallMs: number;
}

/** Standard normal draw from a label (cached). */
function gaussOf(cache: Map<string, number>, seed: number, label: string): number {
  let v = cache.get(label);
  if (v === undefined) {
    v = new Rng(seedFor(seed, label)).normal();
    cache.set(label, v);
  }
  return v;
}

/** The latent accuracy of instructions and the answers of one simulated task. */
export class SimulatedTask {
  private readonly cache = new Map<string, number>();
  private readonly seed: number;

  constructor(
    readonly world: World,
    seed: number,
  ) {
    this.seed = seedFor(seed, `world:${world.name}`);
  }

  /** True accuracy of an instruction ("" = no instruction: a weak baseline). */
  accuracy(instruction: string): number {
    const chars = [...instruction];
    const g = (label: string) => gaussOf(this.cache, this.seed, label);
    const { mu, sigma } = this.world;
    if (instruction === "") return 1 / (1 + Math.exp(-(mu - 1)));
    const [a, b, c] = PREFIXES.map((k) => chars.slice(0, k).join(""));
    const z = 0.4 * g(`a:${a}`) + 0.5 * g(`b:${b}`) + 0.5 * g(`c:${c}`) + 0.6 * g(`t:${instruction}`);
    return 1 / (1 + Math.exp(-(mu + sigma * z)));
  }

  /** Whether the black box answers `input` right under `instruction` (deterministic). */
  right(instruction: string, input: string): boolean {
    const g = (label: string) => gaussOf(this.cache, this.seed, label);
    const family = [...instruction].slice(0, PREFIXES[1]).join("");
    const v =
      0.5 * g(`e:${input}`) + 0.5 * g(`f:${family}:${input}`) + Math.SQRT1_2 * g(`u:${instruction}:${input}`);
    return normCdf(v) < this.accuracy(instruction);
  }
}

/** An in-process black box answering from a simulated task; every call is counted. */
function simulatedBlackBox(task: SimulatedTask, answers: Map<string, string>) {
  let calls = 0;
  const bb: BlackBox = {
    id: "sim:bb",
    async complete(request: CompletionRequest): Promise<Completion> {
      calls++;
      const parts = request.parts ?? parseInstructionPrompt(request.prompt);
      const instruction = parts?.instruction ?? "";
      const input = parts?.input ?? "";
      const text = task.right(instruction, input) ? (answers.get(input) ?? "?") : "wrong";
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
  return bb;
}

/** The task file every world shares: 120 examples (40 held out for test, 40 demos, 20 validation, 20 left). */
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

async function runJob(job: Job, p: Params, model: string, taskFile: string, answers: Map<string, string>) {
  const t0 = performance.now();
  const task = new SimulatedTask(WORLDS[job.task], job.seed);
  const ledger = openLedger(":memory:");
  const config = makeRunConfig({
    task: taskFile,
    target: "sim:bb",
    generator: model,
    budget: p.budget,
    validationSize: p.validation,
    instructionTokens: p.instructionTokens,
    seed: job.seed,
    concurrency: 8,
    cache: false,
    ...(p.racingAlpha !== undefined ? { racingAlpha: p.racingAlpha } : {}),
    ...(p.racingBlock !== undefined ? { racingBlock: p.racingBlock } : {}),
    ...PROTOCOLS[job.protocol],
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
  const blackBox = simulatedBlackBox(task, answers);
  const out = await executeRun(runId, {
    ledger,
    blackBox,
    generator,
    pointProposer: createBoPointProposer(),
  });
  await generator.close();
  const evals = ledger.evaluations(runId);
  ledger.close();
  const result: JobResult = {
    ...job,
    records: evals.map((r) => ({
      calls: r.calls,
      full: r.scores.length >= p.validation && !r.empty,
      score: r.score,
      acc: r.empty ? 0 : task.accuracy(r.instruction),
    })),
    chosenAcc: out.best ? task.accuracy(out.best.instruction) : 0,
    totalCalls: blackBox.totals().requests,
    distinct: new Set(evals.map((r) => r.instruction)).size,
    partial: evals.filter((r) => r.scores.length < p.validation).length,
    evaluations: evals.length,
    wallMs: performance.now() - t0,
  };
  return result;
}

/** True accuracy of the choice after `budget` calls: best fully scored record so far (earliest on ties). */
function accuracyAt(r: JobResult, budget: number): number {
  let spent = 0;
  let best: JobResult["records"][number] | null = null;
  for (const rec of r.records) {
    spent += rec.calls;
    if (spent > budget) break;
    if (rec.full && (!best || rec.score > best.score)) best = rec;
  }
  return best ? best.acc : Number.NaN;
}

function callsOf(r: JobResult): number {
  return r.records.reduce((a, x) => a + x.calls, 0);
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length < xs.length / 2) return Number.NaN; // most seeds have nothing chosen yet
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x: number, digits = 3): string {
  return Number.isNaN(x) ? "-" : x.toFixed(digits);
}

/** Calls after which the median over seeds first reaches `target` (steps of 50), or NaN. */
function callsToReach(rs: JobResult[], target: number): number {
  for (let c = 50; c <= 6000; c += 50)
    if (median(rs.map((r) => accuracyAt(r, c))) >= target - 1e-12) return c;
  return Number.NaN;
}

function report(results: JobResult[], p: Params, wallMs: number): void {
  const load = loadavg();
  const checkpoints = [250, 500, 750, 1000, 1500, 2000, 2500, 3000];
  console.log(
    `\n${p.seeds} seeds (${p.firstSeed}..${p.firstSeed + p.seeds - 1}), budget ${p.budget} evaluations, ` +
      `${p.validation} validation examples, ${p.instructionTokens} tokens per instruction; ` +
      `racing block ${p.racingBlock ?? 5}, alpha ${p.racingAlpha ?? 0.01}`,
  );
  console.log(
    `wall time ${(wallMs / 1000).toFixed(0)} s on ${p.workers} workers; load average ${load.map((x) => x.toFixed(2)).join(" ")}` +
      (load[0] > 2.5
        ? " (> 2.5: other work was running; wall time is inflated, figures are not affected)"
        : ""),
  );
  const summary: string[] = [];
  for (const task of p.tasks) {
    const byProtocol = new Map(
      p.protocols.map((pr) => [pr, results.filter((r) => r.task === task && r.protocol === pr)]),
    );
    const paper = byProtocol.get("paper") ?? [];
    const paperFinal = median(paper.map((r) => accuracyAt(r, Number.POSITIVE_INFINITY)));
    const paperCalls = median(paper.map(callsOf));
    const best = median(paper.map((r) => Math.max(...r.records.map((x) => x.acc))));
    console.log(
      `\n### task "${task}" (mu ${WORLDS[task].mu}, sigma ${WORLDS[task].sigma}): median true accuracy of the chosen instruction after C calls`,
    );
    console.log(
      `(paper protocol: final median ${fmt(paperFinal)} after a median ${fmt(paperCalls, 0)} calls; median best instruction it ever scored ${fmt(best)})\n`,
    );
    console.log(
      "(checkpoint columns, final and calls: the search alone, its best fully scored candidate so far; chosen and all calls: the run's own choice by its selection rule, and every call it paid: search, selection, baselines, test)\n",
    );
    console.log(
      `| protocol | ${checkpoints.join(" | ")} | final | calls | calls to paper's final | distinct | stopped early | chosen | all calls |`,
    );
    console.log(
      `| --- | ${checkpoints.map(() => "---:").join(" | ")} | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    );
    for (const [pr, rs] of byProtocol) {
      const cells = checkpoints.map((c) => fmt(median(rs.map((r) => accuracyAt(r, c)))));
      const final = median(rs.map((r) => accuracyAt(r, Number.POSITIVE_INFINITY)));
      const calls = median(rs.map(callsOf));
      const reach = callsToReach(rs, paperFinal);
      const distinct = median(rs.map((r) => r.distinct));
      const partial = median(rs.map((r) => r.partial));
      const chosen = median(rs.map((r) => r.chosenAcc));
      const allCalls = median(rs.map((r) => r.totalCalls));
      console.log(
        `| ${pr} | ${cells.join(" | ")} | ${fmt(final)} | ${fmt(calls, 0)} | ${Number.isNaN(reach) ? "never" : reach} | ${fmt(distinct, 0)} | ${fmt(partial, 0)} | ${fmt(chosen)} | ${fmt(allCalls, 0)} |`,
      );
      summary.push(
        `| ${task} | ${pr} | ${fmt(final)} | ${fmt(calls, 0)} | ${Number.isNaN(reach) ? "never" : reach} | ` +
          `${fmt(chosen)} | ${fmt(allCalls, 0)} | ` +
          `${Number.isNaN(reach) ? "no" : reach <= 1000 && reach <= paperCalls / 3 ? "yes" : reach <= 1000 ? "<= 1000 only" : "no"} |`,
      );
    }
    const mismatch = results.filter(
      (r) => r.task === task && Math.abs(r.chosenAcc - accuracyAt(r, Number.POSITIVE_INFINITY)) > 1e-12,
    );
    if (mismatch.length)
      console.log(
        `\n(${mismatch.length} runs chose another instruction than the search's best fully scored one: fresh selection, or ties kept latest)`,
      );
    curve(byProtocol, paperFinal);
  }
  console.log(
    "\n### summary: calls each protocol needs before its median reaches the paper protocol's final median" +
      "\n(target: at most 1,000 calls and at most 1/3 of the paper protocol's own calls)\n",
  );
  console.log(
    "| task | protocol | final median (search) | calls (search, median) | calls to paper's final | chosen by the run's rule (median true accuracy) | all calls paid (median) | target met |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const line of summary) console.log(line);
  pairedWithPaper(results, p);
}

/**
 * Every protocol against paper, run by run (same task and seed: same initial design): the true accuracy of
 * the search's best fully scored candidate and of the run's own choice, worse / better / tied, with the
 * two-sided exact sign test over the untied pairs.
 */
function pairedWithPaper(results: JobResult[], p: Params): void {
  const others = p.protocols.filter((pr) => pr !== "paper");
  if (!p.protocols.includes("paper") || others.length === 0) return;
  const find = (task: string, seed: number, pr: string) =>
    results.find((r) => r.task === task && r.seed === seed && r.protocol === pr);
  const signP = (w: number, b: number) => {
    let c = 1;
    let tail = 0;
    for (let i = 0; i <= Math.min(w, b); i++) {
      tail += c;
      c = (c * (w + b - i)) / (i + 1);
    }
    return w + b === 0 ? 1 : Math.min(1, (2 * tail) / 2 ** (w + b));
  };
  console.log(
    "\n### run by run against paper: worse / better / tied (two-sided exact sign test over untied runs)\n",
  );
  console.log("| protocol | task | final (search) | chosen |");
  console.log("| --- | --- | --- | --- |");
  for (const pr of others) {
    const rows = [...p.tasks.map((t) => [t]), p.tasks].map((tasks) => {
      const counts = { final: [0, 0, 0], chosen: [0, 0, 0] };
      for (const task of tasks)
        for (let seed = p.firstSeed; seed < p.firstSeed + p.seeds; seed++) {
          const a = find(task, seed, "paper");
          const b = find(task, seed, pr);
          if (!a || !b) continue;
          const pairs: [keyof typeof counts, number, number][] = [
            ["final", accuracyAt(a, Number.POSITIVE_INFINITY), accuracyAt(b, Number.POSITIVE_INFINITY)],
            ["chosen", a.chosenAcc, b.chosenAcc],
          ];
          for (const [k, x, y] of pairs) counts[k][y < x ? 0 : y > x ? 1 : 2]++;
        }
      return { label: tasks.length === 1 ? tasks[0] : "all", counts };
    });
    for (const { label, counts } of rows) {
      const cell = (c: number[]) => `${c[0]} / ${c[1]} / ${c[2]} (p = ${signP(c[0], c[1]).toFixed(3)})`;
      console.log(`| ${pr} | ${label} | ${cell(counts.final)} | ${cell(counts.chosen)} |`);
    }
  }
}

/** Coarse ASCII curve: median true accuracy (rows) against calls (columns, 0..3000). */
function curve(byProtocol: Map<string, JobResult[]>, paperFinal: number): void {
  const width = 60;
  const maxCalls = 3000;
  const marks: Record<string, string> = {
    paper: "p",
    "paper+pipelined": "P",
    distinct: "d",
    racing: "r",
    "racing+distinct": "R",
    efficient: "e",
  };
  const series = [...byProtocol].map(([pr, rs]) => ({
    mark: marks[pr] ?? pr[0],
    ys: Array.from({ length: width }, (_, i) =>
      median(rs.map((r) => accuracyAt(r, ((i + 1) * maxCalls) / width))),
    ),
  }));
  const all = series.flatMap((s) => s.ys).filter((y) => !Number.isNaN(y));
  if (!all.length) return;
  const lo = Math.floor(Math.min(...all) * 20) / 20;
  const hi = Math.ceil(Math.max(...all) * 20) / 20;
  const rows = 12;
  const grid = Array.from({ length: rows }, () => Array(width).fill(" "));
  const rowOf = (y: number) =>
    Math.min(rows - 1, Math.max(0, Math.round(((hi - y) / (hi - lo || 1)) * (rows - 1))));
  if (!Number.isNaN(paperFinal)) for (let i = 0; i < width; i++) grid[rowOf(paperFinal)][i] = "·";
  for (const s of series)
    s.ys.forEach((y, i) => {
      if (!Number.isNaN(y)) grid[rowOf(y)][i] = s.mark;
    });
  console.log(
    `\n${series.map((s) => s.mark).join(" ")} = ${[...byProtocol.keys()].join(", ")}; · = paper's final median (later marks drawn over earlier ones)`,
  );
  grid.forEach((row, r) => {
    const y = hi - (r * (hi - lo)) / (rows - 1);
    console.log(`${y.toFixed(2)} |${row.join("")}`);
  });
  console.log(`     +${"-".repeat(width)}`);
  console.log(`      0${" ".repeat(width / 2 - 5)}1500${" ".repeat(width / 2 - 6)}3000 calls`);
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
  const tasks = (get("tasks") ?? "hard,medium,sharp").split(",");
  for (const t of tasks)
    if (!WORLDS[t]) throw new Error(`--tasks: unknown task ${t} (${Object.keys(WORLDS)})`);
  const protocols = (get("protocols") ?? Object.keys(PROTOCOLS).join(",")).split(",");
  for (const pr of protocols)
    if (!PROTOCOLS[pr]) throw new Error(`--protocols: unknown protocol ${pr} (${Object.keys(PROTOCOLS)})`);
  return {
    seeds: num("seeds", 10),
    firstSeed: num("first-seed", 0),
    tasks,
    protocols,
    budget: num("budget", 150),
    validation: num("validation-size", 20),
    instructionTokens: num("instruction-tokens", 6),
    workers: num("workers", 2),
    racingAlpha: get("racing-alpha") !== undefined ? num("racing-alpha", 0.01) : undefined,
    racingBlock: get("racing-block") !== undefined ? num("racing-block", 5) : undefined,
  };
}

const self = fileURLToPath(import.meta.url);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    console.log(
      "npm run bench:efficiency -- [--seeds 10] [--first-seed 0] [--tasks hard,medium,sharp] [--protocols paper,distinct,racing,racing+distinct,efficient] [--budget 150] [--validation-size 20] [--instruction-tokens 6] [--workers 2] [--racing-alpha 0.01] [--racing-block 5]",
    );
    return;
  }
  const p = parseArgs(argv);
  // worker: run the jobs it is given, send each result to the parent
  const w = argv.indexOf("--worker");
  if (w >= 0) {
    const [dir, k] = [argv[w + 1], Number(argv[w + 2])];
    const { file, answers } = writeTaskFile(dir);
    const jobs = JSON.parse(argv[argv.indexOf("--jobs") + 1]) as Job[];
    for (const [i, job] of jobs.entries()) {
      if (i % p.workers !== k) continue;
      process.send!(await runJob(job, p, join(dir, "micro"), file, answers));
    }
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "iz-bench-eff-"));
  buildTestModel(join(dir, "micro"), { preset: "micro", seed: 0 });
  const jobs: Job[] = [];
  for (let s = p.firstSeed; s < p.firstSeed + p.seeds; s++)
    for (const task of p.tasks) for (const protocol of p.protocols) jobs.push({ task, seed: s, protocol });
  const t0 = performance.now();
  const results: JobResult[] = [];
  await Promise.all(
    Array.from(
      { length: p.workers },
      (_, k) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(self, [...argv, "--worker", dir, String(k), "--jobs", JSON.stringify(jobs)], {
            execArgv: process.execArgv,
          });
          child.on("message", (m) => {
            results.push(m as JobResult);
            process.stderr.write(`\r${results.length}/${jobs.length} runs`);
          });
          child.on("error", reject);
          child.on("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`worker ${k} exited with ${code}`)),
          );
        }),
    ),
  );
  process.stderr.write("\n");
  report(results, p, performance.now() - t0);
}

await main();
