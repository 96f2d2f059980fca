/**
 * The zero-config command measured end to end (not projected): `instructzero optimize --task antonyms`
 * with the default method, budget and splits, the local generator and a local: black box, both the same
 * random-weight model of Qwen2.5-0.5B's shapes (the project builds it; real weights cannot be downloaded
 * here), run through RunSession as the CLI does, on a cold response cache and a fresh run store.
 *
 * Random weights never stop on their own, so answer and instruction lengths are capped:
 *   --lengths typical  answers 4 tokens, instructions 32 (what a trained model typically writes; default)
 *   --lengths worst    answers 64 tokens (the default cap), instructions 128 (the default cap)
 *
 * Prints: start-up (opening the run: generator and black-box models loaded and prepared), wall time of
 * the run and per phase (search: generation, BO and black-box waiting from the run's totals; selection,
 * baselines and test from the phase checkpoints, i.e. the progress events and the spend log's
 * timestamps), the local black-box calls per phase, peak memory (process.resourceUsage().maxRSS) and
 * the load average at start and end. The last line is `RESULT {json}` for scripts.
 *
 * usage: npm run bench:zero-config [-- --budget 150 --lengths typical|worst --dtype auto|fp32|q8
 *        --pipelined|--no-pipelined --preset qwen05 --dir DIR --seed 0 --data-dir DIR]
 * --data-dir: a local copy of the task data (e.g. /work/shared/data), as `optimize --data-dir`; default the
 * CLI's (INSTRUCTZERO_DATA, else the download cache, downloading once).
 * The qwen05 model is built once into DIR (default $TMPDIR/instructzero-bench-qwen05, shared with
 * bench:local; ~2 GB per dtype). Time it alone on the machine: other processes slow every figure down.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { autoDtypeOfFolder } from "../src/generator/resolve-dtype.js";
import { parsePreset } from "../src/generator/test-model/build.js";
import { makeRunConfig } from "../src/optimizers/run.js";
import type { ProgressEvent } from "../src/optimizers/types.js";
import { RunSession } from "../src/session/run-session.js";
import { ensureTestModel } from "./test-models.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const LENGTHS = { typical: { answer: 4, instruction: 32 }, worst: { answer: 64, instruction: 128 } };
const lengthsName = arg("lengths", "typical");
if (!(lengthsName in LENGTHS)) throw new Error(`--lengths: expected typical or worst, got ${lengthsName}`);
const lengths = LENGTHS[lengthsName as keyof typeof LENGTHS];
const budget = Number(arg("budget", "150"));
if (!Number.isInteger(budget) || budget < 1)
  throw new Error(`--budget: expected an integer >= 1, got ${budget}`);
// auto: the default command's setting (q8 when the model has it, else fp32)
const dtype = arg("dtype", "auto");
if (dtype !== "fp32" && dtype !== "q8" && dtype !== "auto")
  throw new Error(`--dtype: expected auto, fp32 or q8, got ${dtype}`);
const buildDtype = dtype === "fp32" ? "fp32" : "q8";
const preset = parsePreset(arg("preset", "qwen05"));
const seed = Number(arg("seed", "0"));
const dataDir = arg("data-dir", "") || undefined;
const dir = arg(
  "dir",
  path.join(os.tmpdir(), preset === "qwen05" ? "instructzero-bench-qwen05" : `instructzero-bench-${preset}`),
);
// unset: the default command's setting (the schema default)
const pipelined = process.argv.includes("--pipelined")
  ? true
  : process.argv.includes("--no-pipelined")
    ? false
    : undefined;

const loadStart = os.loadavg();
const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
console.log(`start: load average ${fmtLoad(loadStart)} (${os.cpus().length} cores)`);
const built = ensureTestModel(dir, preset, buildDtype);
if (built > 0) console.log(`built the ${preset} ${buildDtype} model in ${built.toFixed(0)} s -> ${dir}`);
const opened = dtype === "auto" ? `auto: ${autoDtypeOfFolder(dir)}` : dtype;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "iz-bench-zero-"));
const store = path.join(work, "runs.sqlite");
const config = makeRunConfig({
  task: "antonyms",
  target: `local:${dir}`,
  generator: dir,
  generatorDtype: dtype,
  budget,
  seed,
  maxTokens: lengths.answer,
  instructionTokens: lengths.instruction,
  cache: path.join(work, "cache.sqlite"),
  ...(dataDir === undefined ? {} : { dataDir }),
  ...(pipelined === undefined ? {} : { pipelined }),
});

/** Wall-clock checkpoints (ms since the run started) from the progress events. */
const marks: Record<string, number> = {};
let t0 = performance.now();
const onProgress = (e: ProgressEvent) => {
  const key = e.phase === "evaluate" ? "first evaluation" : e.phase === "select" ? "search end" : e.phase;
  if (e.phase === "select" || e.phase === "test" || e.phase === "evaluate")
    marks[key] ??= performance.now() - t0;
};

const open0 = performance.now();
const session = await RunSession.open({ config, store, onProgress });
const openMs = performance.now() - open0;
t0 = performance.now();
const startIso = new Date().toISOString();
const out = await session.run();
const wallMs = performance.now() - t0;
await session.close();
const loadEnd = os.loadavg();
const maxRssGb = (process.resourceUsage().maxRSS * 1024) / 2 ** 30;

// black-box calls and their time window per phase, from the spend log (one row per paid attempt)
const db = new Database(store, { readonly: true });
const rows = db
  .prepare(
    `SELECT phase, COUNT(*) AS calls, MIN(at) AS first, MAX(at) AS last
       FROM spend WHERE run_id = ? GROUP BY phase`,
  )
  .all(out.runId) as { phase: string; calls: number; first: string; last: string }[];
db.close();
const since = (iso: string) => Date.parse(iso) - Date.parse(startIso);
const spend = Object.fromEntries(
  rows.map((r) => [r.phase, { calls: r.calls, firstMs: since(r.first), lastMs: since(r.last) }]),
);

const t = out.totals;
const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
const searchEnd = marks["search end"] ?? wallMs;
const testStart = marks.test;
// the phases after the search, by checkpoints: selection ends where the baselines' first call is logged
const selEnd = spend.baselines?.firstMs ?? testStart ?? wallMs;
const baseEnd = testStart ?? wallMs;
const phases = {
  startup: openMs,
  search: searchEnd,
  generation: t.generationMs,
  blackBoxSearch: t.evaluationMs,
  bo: t.boMs,
  selection: spend.selection ? selEnd - searchEnd : 0,
  baselines: spend.baselines ? baseEnd - selEnd : 0,
  test: testStart === undefined ? 0 : wallMs - testStart,
};

console.log(
  `\n${preset} random model (${opened}) as generator and local: black box, task antonyms, budget ${budget}, ` +
    `seed ${seed}, ${lengthsName} lengths (answers ${lengths.answer} tokens, instructions ${lengths.instruction}), ` +
    `pipelined ${config.pipelined}`,
);
console.log(
  `status ${out.status}${out.reason ? ` (${out.reason})` : ""}; best validation ${out.best?.score.toFixed(3)}`,
);
console.log(
  `evaluations ${out.evaluations.length}; distinct instructions ${t.distinctInstructions}; ` +
    `black-box calls ${Object.entries(spend)
      .map(([p, v]) => `${p} ${v.calls}`)
      .join(", ")}`,
);
console.log(`start-up (open: load + prepare both models) ${s(phases.startup)}`);
console.log(`run wall time                               ${s(wallMs)} (${(wallMs / 60000).toFixed(2)} min)`);
console.log(
  `  search                                    ${s(phases.search)} (first score at ${s(marks["first evaluation"])})`,
);
console.log(`    generating instructions                 ${s(phases.generation)}`);
console.log(`    black-box waiting                       ${s(phases.blackBoxSearch)}`);
console.log(`    Bayesian optimisation                   ${s(phases.bo)}`);
console.log(`  selection                                 ${s(phases.selection)}`);
console.log(`  baselines                                 ${s(phases.baselines)}`);
console.log(`  test                                      ${s(phases.test)}`);
console.log(
  `start-up + run                              ${s(openMs + wallMs)} (${((openMs + wallMs) / 60000).toFixed(2)} min)`,
);
console.log(`peak memory (maxRSS)                        ${maxRssGb.toFixed(2)} GB`);
console.log(`load average: start ${fmtLoad(loadStart)}, end ${fmtLoad(loadEnd)}`);
if (loadEnd[0] > os.cpus().length + 0.5)
  console.log(
    "note: the load average exceeds the cores: other processes shared the machine; figures are pessimistic",
  );
console.log(
  `RESULT ${JSON.stringify({
    preset,
    dtype,
    budget,
    lengths: lengthsName,
    pipelined: config.pipelined,
    status: out.status,
    evaluations: out.evaluations.length,
    calls: Object.fromEntries(Object.entries(spend).map(([p, v]) => [p, v.calls])),
    wallMs,
    phasesMs: phases,
    maxRssGb,
    loadStart,
    loadEnd,
  })}`,
);
fs.rmSync(work, { recursive: true, force: true });
