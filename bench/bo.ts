/**
 * BO engine benchmark (prints tables; not a test).
 *
 * 1. Median (over seeds) best value after 150 evaluations = 25 Sobol + 5 x 25 on Branin, Hartmann6,
 *    Levy10, Ackley10 (each domain mapped to [-1,1]^d; minimise f by maximising -f) for: random,
 *    Sobol, sequential GP-EI (q = 1), batch `reference`, batch `distinct` with its "penalize" (default
 *    with this Matern kernel), "dedupe" and "greedy" strategies.
 * 2. Wall time of one proposal step (warm-started fit + a q = 25 batch) at n = 150.
 * 3. With --instructions (only): an InstructZero-like surrogate where many soft prompts give the same
 *    "instruction" (nearest of 300 random centres in [-1.1,1.1]^10), each instruction with a 0/1 score
 *    vector over 20 examples; coupled kernel, 25 Sobol + 5 x 25. Compares the batch modes and the
 *    reference batch over-proposed 2x/3x, and `distinct` batches (default strategy, i.e. "dedupe" with
 *    this kernel, and "penalize") over-proposed 3x as `optimize --batch-mode distinct` does, each then
 *    filtered by `selectNovel` (new instructions first). The reference and default-distinct batches
 *    (and their pipelined variants) are proposed by the run's own proposer (createBoPointProposer).
 *
 * Pipelined methods (`-pipelined`, as `optimize --pipelined`), with the same windows as the run
 * (batchWindows in src/optimizers/soft-prompt/pipeline.ts): each batch's first generation chunk (10 of
 * 25) is proposed before the previous batch's last chunk (6) is scored, those 6 pending, not data; the
 * rest (15) once the previous batch is scored, the first 10 pending. `-pipelined` fantasises pending
 * points (the run's "believer"), `-pipelined-penalize` penalises them; `-pipelined-whole` proposes the
 * whole batch early, the previous batch's last chunk pending (the run's pipelining before the split);
 * `-pipelined-wide` starts each part's CMA-ES runs from the batch's 25 best points, as an unsplit
 * reference batch does, and keeps the part's q best (the run starts from the q best).
 * Every method after the first is also compared seed by seed with the first (same seed: same initial
 * design): worse / better / tied, and the two-sided exact sign test over the untied seeds.
 *
 * Usage: npm run bench:bo -- [--seeds 10] [--functions branin,hartmann6,levy10,ackley10]
 *        [--methods random,sobol,seq-ei,batch-ref,batch-distinct,batch-dedupe,batch-greedy,batch-ref-pipelined]
 *        (default; also batch-ref-pipelined-penalize, batch-ref-pipelined-whole, batch-distinct-pipelined)
 *        [--no-timing]
 *        [--timing-only]
 *        [--first-seed 0] [--seq-generations 40]
 *        npm run bench:bo -- --instructions [--seeds 10] [--methods batch-ref,ref+novel-x3,...] (see
 *        INSTRUCTION_METHODS; the `-whole` and `-penalize` variants only when asked for)
 */
import {
  type BoHistory,
  type GpHyperparameters,
  type ProposeOptions,
  propose,
  selectNovel,
  sobolPoints,
} from "../src/bo/index.js";
import { batchSizes } from "../src/optimizers/batches.js";
import { createBoPointProposer } from "../src/optimizers/bo-proposer.js";
import { type BatchPart, batchWindows, partLabel } from "../src/optimizers/soft-prompt/pipeline.js";
import { Rng, seedFor } from "../src/util/rng.js";

interface TestFunction {
  name: string;
  d: number;
  lo: number[];
  hi: number[];
  optimum: number;
  f: (x: number[]) => number;
}

const HART_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HART_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const HART_ALPHA = [1, 1.2, 3, 3.2];

const FUNCTIONS: TestFunction[] = [
  {
    name: "branin",
    d: 2,
    lo: [-5, 0],
    hi: [10, 15],
    optimum: 0.397887,
    f: ([x1, x2]) => {
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      const t = 1 / (8 * Math.PI);
      return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
    },
  },
  {
    name: "hartmann6",
    d: 6,
    lo: Array(6).fill(0),
    hi: Array(6).fill(1),
    optimum: -3.32237,
    f: (x) => {
      let s = 0;
      for (let i = 0; i < 4; i++) {
        let inner = 0;
        for (let j = 0; j < 6; j++) inner += HART_A[i][j] * (x[j] - HART_P[i][j]) ** 2;
        s += HART_ALPHA[i] * Math.exp(-inner);
      }
      return -s;
    },
  },
  {
    name: "levy10",
    d: 10,
    lo: Array(10).fill(-10),
    hi: Array(10).fill(10),
    optimum: 0,
    f: (x) => {
      const w = x.map((v) => 1 + (v - 1) / 4);
      const n = w.length;
      let s = Math.sin(Math.PI * w[0]) ** 2;
      for (let i = 0; i < n - 1; i++) s += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i] + 1) ** 2);
      s += (w[n - 1] - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[n - 1]) ** 2);
      return s;
    },
  },
  {
    name: "ackley10",
    d: 10,
    lo: Array(10).fill(-5),
    hi: Array(10).fill(10),
    optimum: 0,
    f: (x) => {
      const n = x.length;
      const s1 = x.reduce((s, v) => s + v * v, 0) / n;
      const s2 = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / n;
      return -20 * Math.exp(-0.2 * Math.sqrt(s1)) - Math.exp(s2) + 20 + Math.E;
    },
  },
];

const METHODS = [
  "random",
  "sobol",
  "seq-ei",
  "batch-ref",
  "batch-distinct",
  "batch-dedupe",
  "batch-greedy",
  "batch-ref-pipelined",
  "batch-ref-pipelined-penalize",
  "batch-ref-pipelined-whole",
  "batch-ref-pipelined-wide",
  "batch-distinct-pipelined",
] as const;
type Method = (typeof METHODS)[number];
/** Methods run when --methods is not given. */
const DEFAULT_METHODS: readonly Method[] = METHODS.filter(
  (m) => !/-pipelined-(penalize|whole|wide)$/.test(m) && m !== "batch-distinct-pipelined",
);

/** How a pipelined method proposes (see the module comment). */
type Pipelining = "none" | "believer" | "penalize" | "whole" | "wide";
const PIPELINE_SUFFIX = /-pipelined(-penalize|-whole|-wide)?$/;
function pipeliningOf(method: string): Pipelining {
  const m = PIPELINE_SUFFIX.exec(method);
  if (!m) return "none";
  return m[1] ? (m[1].slice(1) as Pipelining) : "believer";
}

/** One proposal of a step: q points, fitted on the first `dataEnd` points, the points from there on pending. */
interface StepPart {
  q: number;
  dataEnd: number;
  /** Seed label suffix (partLabel of the run). */
  part: number;
}

/** The proposals of step `step` (batch step + 1 of the schedule) as the run makes them, given `n` points so far. */
function stepParts(method: string, step: number, n: number): StepPart[] {
  const pipelining = pipeliningOf(method);
  const w = batchWindows(batchSizes(BUDGET, N_INIT, BATCH), pipelining !== "none")[step + 1];
  if (w.start !== n) throw new Error(`step ${step}: ${n} points, batch starts at ${w.start}`);
  const parts: BatchPart[] =
    pipelining === "whole" ? [{ from: 0, to: w.size, dataEnd: w.parts[0].dataEnd }] : w.parts;
  return parts.map((p, i) => ({ q: p.to - p.from, dataEnd: p.dataEnd, part: i }));
}

/** Data and pending points of a proposal (see {@link stepParts}) over the points proposed so far. */
function partHistory<T>(
  part: StepPart,
  points: number[][],
  rows: T[],
): { points: number[][]; rows: T[]; pending?: number[][] } {
  const pending = points.slice(part.dataEnd);
  return {
    points: points.slice(0, part.dataEnd),
    rows: rows.slice(0, part.dataEnd),
    ...(pending.length > 0 ? { pending } : {}),
  };
}

/** Batch mode and `distinct` strategy of a batch method ("batch-distinct": the kernel's default strategy). */
function batchOptions(method: string): Pick<ProposeOptions, "batchMode" | "distinctStrategy"> {
  method = method.replace(PIPELINE_SUFFIX, "");
  if (method === "batch-distinct") return { batchMode: "distinct" };
  if (method === "batch-penalize") return { batchMode: "distinct", distinctStrategy: "penalize" };
  if (method === "batch-dedupe") return { batchMode: "distinct", distinctStrategy: "dedupe" };
  if (method === "batch-greedy") return { batchMode: "distinct", distinctStrategy: "greedy" };
  return { batchMode: "reference" };
}

const N_INIT = 25;
const BATCH = 25;
const ITERS = 5;
const BUDGET = N_INIT + BATCH * ITERS;

/** f evaluated at a point u of [-1,1]^d. */
function evalAt(fn: TestFunction, u: number[]): number {
  return fn.f(u.map((v, j) => fn.lo[j] + ((v + 1) / 2) * (fn.hi[j] - fn.lo[j])));
}

let seqGenerations = 40;

function runMethod(fn: TestFunction, method: Method, seed: number): number {
  const d = fn.d;
  if (method === "random") {
    const rng = new Rng(seedFor(seed, `random:${fn.name}`));
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < BUDGET; i++)
      best = Math.min(
        best,
        evalAt(
          fn,
          Array.from({ length: d }, () => 2 * rng.uniform() - 1),
        ),
      );
    return best;
  }
  const init = sobolPoints(method === "sobol" ? BUDGET : N_INIT, d, seedFor(seed, `sobol:${fn.name}`));
  const points = init.slice();
  const values = init.map((u) => -evalAt(fn, u));
  if (method !== "sobol") {
    let warm: GpHyperparameters | undefined;
    let step = 0;
    while (points.length < BUDGET) {
      const seq = method === "seq-ei";
      const parts = seq
        ? [{ q: 1, dataEnd: points.length, part: 0 }]
        : stepParts(method, step, points.length);
      for (const part of parts) {
        const h = partHistory(part, points, values);
        const p = propose({ points: h.points, values: h.rows, pending: h.pending }, part.q, {
          seed: seedFor(seed, partLabel(`${fn.name}:${step}`, part.part)),
          ...batchOptions(method),
          pendingStrategy: pipeliningOf(method) === "penalize" ? "penalize" : "believer",
          kernel: "matern",
          warmStart: warm,
          // sequential EI: 5 CMA-ES runs from the 5 best points, 40 generations (10 leave the optimum imprecise)
          numStarts: seq ? 5 : pipeliningOf(method) === "wide" ? BATCH : undefined,
          cmaes: seq ? { maxGenerations: seqGenerations } : undefined,
        });
        warm = p.hyperparameters;
        for (const u of p.points) {
          points.push(u);
          values.push(-evalAt(fn, u));
        }
      }
      step++;
    }
  }
  return -Math.max(...values);
}

/** Two-sided exact sign test: P(a split at least as uneven as worse : better) under a fair coin. */
function signTestP(worse: number, better: number): number {
  const n = worse + better;
  if (n === 0) return 1;
  const k = Math.min(worse, better);
  let c = 1; // C(n, 0)
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    tail += c;
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

/** Seed-by-seed comparison of `b` with `a` (higher is better): worse / better / tied, and the sign test. */
interface Paired {
  worse: number;
  better: number;
  tied: number;
}
function paired(a: readonly number[], b: readonly number[]): Paired {
  const out = { worse: 0, better: 0, tied: 0 };
  a.forEach((x, i) => {
    if (b[i] < x) out.worse++;
    else if (b[i] > x) out.better++;
    else out.tied++;
  });
  return out;
}
function pairedCell(p: Paired): string {
  return `${p.worse} / ${p.better} / ${p.tied} (p = ${signTestP(p.worse, p.better).toFixed(3)})`;
}

/** Prints, for every method after the first, its seed-by-seed comparison with the first. */
function printPaired(
  rows: { label: string; byMethod: Map<string, number[]> }[],
  methods: readonly string[],
): void {
  if (methods.length < 2) return;
  const [ref, ...others] = methods;
  console.log(
    `\nSeed by seed against ${ref}: worse / better / tied (two-sided exact sign test over untied seeds)`,
  );
  console.log(`| | ${others.join(" | ")} |`);
  console.log(`| --- | ${others.map(() => "---").join(" | ")} |`);
  const totals = others.map(() => ({ worse: 0, better: 0, tied: 0 }));
  for (const row of rows) {
    const a = row.byMethod.get(ref)!;
    const cells = others.map((m, i) => {
      const p = paired(a, row.byMethod.get(m)!);
      totals[i].worse += p.worse;
      totals[i].better += p.better;
      totals[i].tied += p.tied;
      return pairedCell(p);
    });
    console.log(`| ${row.label} | ${cells.join(" | ")} |`);
  }
  if (rows.length > 1) console.log(`| all | ${totals.map(pairedCell).join(" | ")} |`);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), "true");
  }
  return out;
}

function timing(): void {
  console.log("\nOne proposal step at n = 150 (warm-started fit + q = 25 batch), d = 10, 3 repeats, ms:");
  const d = 10;
  const pts = sobolPoints(150, d, 11);
  const ackley = FUNCTIONS[3];
  const values = pts.map((u) => -evalAt(ackley, u));
  // per-example score vectors (20 examples) for the coupled kernel
  const scoreVectors: number[][] = pts.map((u) =>
    Array.from({ length: 20 }, (_, j) => (Math.sin(3 * u[j % d] + j) > 0.3 ? 1 : 0)),
  );
  const coupledValues = scoreVectors.map((s) => s.reduce((a, b) => a + b, 0) / 20);
  const rows: string[] = [];
  for (const kernel of ["matern", "coupled"] as const) {
    const hist: BoHistory =
      kernel === "matern" ? { points: pts, values } : { points: pts, values: coupledValues, scoreVectors };
    // warm start from the previous step's fit (n = 125), as a run would
    const prev = propose(
      {
        points: hist.points.slice(0, 125),
        values: hist.values.slice(0, 125),
        scoreVectors: hist.scoreVectors?.slice(0, 125),
      },
      1,
      { seed: 1, kernel, numStarts: 1, cmaes: { maxGenerations: 1 } },
    ).hyperparameters;
    for (const [batchMode, distinctStrategy] of [
      ["reference", undefined],
      ["distinct", "penalize"],
      ["distinct", "dedupe"],
      ["distinct", "greedy"],
    ] as const) {
      const times: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        const c = process.cpuUsage();
        propose(hist, 25, { seed: r, kernel, batchMode, distinctStrategy, warmStart: prev });
        times.push(performance.now() - t);
        const dc = process.cpuUsage(c);
        cpu.push((dc.user + dc.system) / 1000);
      }
      const t = performance.now();
      propose(hist, 25, { seed: 0, kernel, batchMode, distinctStrategy });
      const cold = performance.now() - t;
      rows.push(
        `| ${kernel} | ${batchMode}${distinctStrategy ? ` (${distinctStrategy})` : ""} | ${times.map((x) => x.toFixed(0)).join(", ")} | ${median(times).toFixed(0)} | ${median(cpu).toFixed(0)} | ${cold.toFixed(0)} |`,
      );
    }
  }
  console.log("| kernel | batch | warm runs (wall) | warm median (wall) | warm median (CPU) | cold (wall) |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
}

const INSTRUCTION_METHODS = [
  "batch-ref",
  "batch-distinct",
  "batch-penalize",
  "batch-greedy",
  "ref+novel-x2",
  "ref+novel-x3",
  "distinct+novel-x3",
  "penalize+novel-x3",
  "batch-ref-pipelined",
  "batch-ref-pipelined-penalize",
  "batch-ref-pipelined-whole",
  "batch-ref-pipelined-wide",
  "batch-distinct-pipelined",
  "distinct+novel-x3-pipelined",
  "distinct+novel-x3-pipelined-whole",
];

/** One surrogate run: best score found, best score available, new instructions among the 125 proposals. */
function runInstructionSurrogate(method: string, seed: number): { best: number; top: number; fresh: number } {
  const d = 10;
  const K = 300;
  const E = 20;
  const rng = new Rng(seedFor(seed, "task"));
  const target = Array.from({ length: d }, () => rng.uniform() * 1.2 - 0.6);
  const centres = Array.from({ length: K }, () => Array.from({ length: d }, () => rng.uniform() * 2.2 - 1.1));
  const difficulty = Array.from({ length: E }, () => rng.uniform());
  const scores = centres.map((c) => {
    const quality = Math.exp(-c.reduce((acc, v, j) => acc + (v - target[j]) ** 2, 0) / 3);
    return difficulty.map((t): number => (quality + 0.15 * rng.normal() > t ? 1 : 0));
  });
  const mean = (k: number) => scores[k].reduce((a, b) => a + b, 0) / E;
  const instruction = (z: number[]) => {
    let bi = 0;
    let bd = Number.POSITIVE_INFINITY;
    centres.forEach((c, k) => {
      const dd = c.reduce((acc, v, j) => acc + (v - z[j]) ** 2, 0);
      if (dd < bd) [bi, bd] = [k, dd];
    });
    return bi;
  };
  const points = sobolPoints(N_INIT, d, seedFor(seed, "init"));
  const ids = points.map(instruction);
  let warm: unknown;
  const base = method.replace(PIPELINE_SUFFIX, "");
  const mult = Number(/-x(\d+)$/.exec(base)?.[1] ?? 1);
  const options = batchOptions(
    base.startsWith("batch-") ? base : `batch-${base.replace(/\+novel-x\d+$/, "")}`,
  );
  // the run's own proposer, unless the method asks for a strategy the run does not use
  const proposer = createBoPointProposer({
    pendingStrategy: pipeliningOf(method) === "penalize" ? "penalize" : "believer",
  });
  for (let step = 0; step < ITERS; step++) {
    for (const part of stepParts(method, step, points.length)) {
      const h = partHistory(part, points, ids);
      const history = {
        points: h.points,
        values: h.rows.map(mean),
        scoreVectors: h.rows.map((k) => scores[k]),
        pending: h.pending,
      };
      const stepSeed = seedFor(seed, partLabel(`step:${step}`, part.part));
      const p =
        options.distinctStrategy === undefined && pipeliningOf(method) !== "wide"
          ? proposer.next(history, part.q * mult, {
              seed: stepSeed,
              runSeed: seed,
              iteration: step + 1,
              dim: d,
              batchMode: options.batchMode ?? "reference",
              warmStart: warm,
            })
          : (() => {
              const r = propose(history, part.q * mult, {
                seed: stepSeed,
                ...options,
                ...(pipeliningOf(method) === "wide" ? { numStarts: BATCH * mult } : {}),
                warmStart: warm as GpHyperparameters | undefined,
              });
              return { points: r.points, state: r.hyperparameters };
            })();
      warm = p.state;
      const keys = p.points.map((z) => String(instruction(z)));
      const chosen = mult > 1 ? selectNovel(keys, part.q, ids.map(String)).indices : keys.map((_, i) => i);
      for (const i of chosen) {
        points.push(p.points[i]);
        ids.push(instruction(p.points[i]));
      }
    }
  }
  const fresh = ids.slice(N_INIT).filter((k, i) => !ids.slice(0, N_INIT + i).includes(k)).length;
  return { best: Math.max(...ids.map(mean)), top: Math.max(...scores.map((_, k) => mean(k))), fresh };
}

function instructionBench(nSeeds: number, firstSeed: number, methods: string[]): void {
  for (const m of methods) if (!INSTRUCTION_METHODS.includes(m)) throw new Error(`unknown method ${m}`);
  console.log(
    `Instruction surrogate (coupled kernel), ${N_INIT} Sobol + ${ITERS} x ${BATCH}, ${nSeeds} seeds`,
  );
  console.log(
    "| method | seeds reaching the best instruction | mean gap to best | median new instructions of 125 |",
  );
  console.log("| --- | --- | --- | --- |");
  const bestOf = new Map<string, number[]>();
  for (const m of methods) {
    const runs = Array.from({ length: nSeeds }, (_, s) => runInstructionSurrogate(m, firstSeed + s));
    bestOf.set(
      m,
      runs.map((r) => r.best),
    );
    const hits = runs.filter((r) => r.best >= r.top).length;
    const gap = runs.reduce((a, r) => a + (r.top - r.best), 0) / nSeeds;
    process.stderr.write(
      `${m}: ${runs.map((r) => `${r.best.toFixed(2)}/${r.top.toFixed(2)} new=${r.fresh}`).join(" ")}\n`,
    );
    console.log(`| ${m} | ${hits}/${nSeeds} | ${gap.toFixed(3)} | ${median(runs.map((r) => r.fresh))} |`);
  }
  printPaired([{ label: "best score found", byMethod: bestOf }], methods);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const nSeeds = Number(args.get("seeds") ?? 10);
  const firstSeed = Number(args.get("first-seed") ?? 0);
  if (args.get("instructions") === "true") {
    const defaults = INSTRUCTION_METHODS.filter((m) => !/-pipelined-(penalize|whole|wide)$/.test(m));
    instructionBench(nSeeds, firstSeed, args.get("methods")?.split(",") ?? defaults);
    return;
  }
  seqGenerations = Number(args.get("seq-generations") ?? 40);
  const fnNames = (args.get("functions") ?? FUNCTIONS.map((f) => f.name).join(",")).split(",");
  const methods = (args.get("methods") ?? DEFAULT_METHODS.join(",")).split(",") as Method[];
  for (const m of methods) if (!METHODS.includes(m)) throw new Error(`unknown method ${m}`);
  const fns = fnNames.map((n) => {
    const f = FUNCTIONS.find((x) => x.name === n);
    if (!f) throw new Error(`unknown function ${n}`);
    return f;
  });
  if (args.get("timing-only") !== "true") {
    console.log(
      `Median best value after ${BUDGET} evaluations (${N_INIT} Sobol + ${ITERS} x ${BATCH}), ${nSeeds} seeds (minimisation)`,
    );
    console.log(`| function (opt) | ${methods.join(" | ")} |`);
    console.log(`| --- | ${methods.map(() => "---").join(" | ")} |`);
    const pairedRows: { label: string; byMethod: Map<string, number[]> }[] = [];
    for (const fn of fns) {
      const cells: string[] = [];
      const byMethod = new Map<string, number[]>();
      pairedRows.push({ label: fn.name, byMethod });
      for (const m of methods) {
        const t = performance.now();
        const bests = Array.from({ length: nSeeds }, (_, s) => runMethod(fn, m, firstSeed + s));
        const secs = (performance.now() - t) / 1000;
        cells.push(
          `${median(bests).toFixed(3)} [${Math.min(...bests).toFixed(2)}, ${Math.max(...bests).toFixed(2)}] (${secs.toFixed(0)} s)`,
        );
        byMethod.set(
          m,
          bests.map((b) => -b),
        );
        process.stderr.write(`${fn.name} ${m}: ${bests.map((b) => b.toPrecision(6)).join(" ")}\n`);
      }
      console.log(`| ${fn.name} (${fn.optimum}) | ${cells.join(" | ")} |`);
    }
    console.log("cells: median [min, max] over seeds (wall time of all seeds)");
    printPaired(pairedRows, methods);
  }
  if (args.get("no-timing") !== "true") timing();
}

main();
