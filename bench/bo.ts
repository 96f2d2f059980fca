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
 *    filtered by `selectNovel` (new instructions first).
 *
 * Usage: npm run bench:bo -- [--seeds 10] [--functions branin,hartmann6,levy10,ackley10]
 *        [--methods random,sobol,seq-ei,batch-ref,batch-distinct,batch-dedupe,batch-greedy,batch-ref-pipelined] [--no-timing]
 *        [--timing-only]
 *        [--first-seed 0] [--seq-generations 40]
 *        npm run bench:bo -- --instructions [--seeds 10] [--methods batch-ref,ref+novel-x3,...]
 */
import {
  type BoHistory,
  type GpHyperparameters,
  type ProposeOptions,
  propose,
  selectNovel,
  sobolPoints,
} from "../src/bo/index.js";
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
] as const;
type Method = (typeof METHODS)[number];

/** Batch mode and `distinct` strategy of a batch method ("batch-distinct": the kernel's default strategy). */
function batchOptions(method: string): Pick<ProposeOptions, "batchMode" | "distinctStrategy"> {
  method = method.replace(/-pipelined$/, "");
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
/**
 * `-pipelined` methods (`optimize --pipelined`): each step is fitted without the previous batch's last
 * generation chunk (6 of 25), whose scores arrive while the next batch is already being generated.
 */
const PIPELINE_TAIL = 6;
const isPipelined = (method: string) => method.endsWith("-pipelined");

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
      const q = method === "seq-ei" ? 1 : BATCH;
      const known = isPipelined(method) ? points.length - PIPELINE_TAIL : points.length;
      const p = propose({ points: points.slice(0, known), values: values.slice(0, known) }, q, {
        seed: seedFor(seed, `${fn.name}:${step++}`),
        ...batchOptions(method),
        kernel: "matern",
        warmStart: warm,
        // sequential EI: 5 CMA-ES runs from the 5 best points, 40 generations (10 leave the optimum imprecise)
        numStarts: method === "seq-ei" ? 5 : undefined,
        cmaes: method === "seq-ei" ? { maxGenerations: seqGenerations } : undefined,
      });
      warm = p.hyperparameters;
      for (const u of p.points) {
        points.push(u);
        values.push(-evalAt(fn, u));
      }
    }
  }
  return -Math.max(...values);
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
  "distinct+novel-x3-pipelined",
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
  let warm: GpHyperparameters | undefined;
  const mult = Number(/-x(\d+)(-pipelined)?$/.exec(method)?.[1] ?? 1);
  for (let step = 0; step < ITERS; step++) {
    const known = isPipelined(method) ? points.length - PIPELINE_TAIL : points.length;
    const p = propose(
      {
        points: points.slice(0, known),
        values: ids.slice(0, known).map(mean),
        scoreVectors: ids.slice(0, known).map((k) => scores[k]),
      },
      BATCH * mult,
      {
        seed: seedFor(seed, `step:${step}`),
        ...batchOptions(
          method.startsWith("batch-") ? method : `batch-${method.replace(/\+novel-x\d+(-pipelined)?$/, "")}`,
        ),
        warmStart: warm,
      },
    );
    warm = p.hyperparameters;
    const keys = p.points.map((z) => String(instruction(z)));
    const chosen = mult > 1 ? selectNovel(keys, BATCH, ids.map(String)).indices : keys.map((_, i) => i);
    for (const i of chosen) {
      points.push(p.points[i]);
      ids.push(instruction(p.points[i]));
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
  for (const m of methods) {
    const runs = Array.from({ length: nSeeds }, (_, s) => runInstructionSurrogate(m, firstSeed + s));
    const hits = runs.filter((r) => r.best >= r.top).length;
    const gap = runs.reduce((a, r) => a + (r.top - r.best), 0) / nSeeds;
    process.stderr.write(
      `${m}: ${runs.map((r) => `${r.best.toFixed(2)}/${r.top.toFixed(2)} new=${r.fresh}`).join(" ")}\n`,
    );
    console.log(`| ${m} | ${hits}/${nSeeds} | ${gap.toFixed(3)} | ${median(runs.map((r) => r.fresh))} |`);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const nSeeds = Number(args.get("seeds") ?? 10);
  const firstSeed = Number(args.get("first-seed") ?? 0);
  if (args.get("instructions") === "true") {
    instructionBench(nSeeds, firstSeed, args.get("methods")?.split(",") ?? INSTRUCTION_METHODS);
    return;
  }
  seqGenerations = Number(args.get("seq-generations") ?? 40);
  const fnNames = (args.get("functions") ?? FUNCTIONS.map((f) => f.name).join(",")).split(",");
  const methods = (args.get("methods") ?? METHODS.join(",")).split(",") as Method[];
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
    for (const fn of fns) {
      const cells: string[] = [];
      for (const m of methods) {
        const t = performance.now();
        const bests = Array.from({ length: nSeeds }, (_, s) => runMethod(fn, m, firstSeed + s));
        const secs = (performance.now() - t) / 1000;
        cells.push(
          `${median(bests).toFixed(3)} [${Math.min(...bests).toFixed(2)}, ${Math.max(...bests).toFixed(2)}] (${secs.toFixed(0)} s)`,
        );
        process.stderr.write(`${fn.name} ${m}: ${bests.map((b) => b.toFixed(3)).join(" ")}\n`);
      }
      console.log(`| ${fn.name} (${fn.optimum}) | ${cells.join(" | ")} |`);
    }
    console.log("cells: median [min, max] over seeds (wall time of all seeds)");
  }
  if (args.get("no-timing") !== "true") timing();
}

main();
