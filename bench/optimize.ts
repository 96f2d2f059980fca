/**
 * Benchmark of a paper-budget InstructZero run (150 evaluations = 25 + 5 x 25, 20 validation examples)
 * against a local OpenAI-compatible server with 300 ms latency per call, using the smol135-shaped
 * random-weight generator. Prints the wall time and the share spent in generation, BO and black-box
 * waiting. Generation of a batch's next chunk overlaps the black box's scoring of the current one, so
 * the optimiser's overhead is the wall time not spent waiting for the black box:
 * (wall - black-box waiting) / wall. Target: under 15% with the run's defaults.
 *
 * Run: npm run bench:optimize [-- --latency 300 --budget 150 --batch-mode reference --preset smol135 --concurrency 8
 *      --lengths typical|worst --instruction-tokens N --dtype auto|fp32|q8 --pipelined|--no-pipelined]
 * Defaults are the run's: generator dtype auto (q8 here), pipelined (the black box is not local:).
 * The random-weight generator never emits EOS, so every instruction is as long as its cap. As in
 * bench:zero-config, `--lengths typical` (default) caps instructions at 32 tokens, what a trained instruct
 * model typically writes before it stops; `--lengths worst` at 128, the run's default cap, which a real
 * model reaches only when it never stops. `--instruction-tokens N` sets the cap directly.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { instructionQualityAnswer, reverse } from "../fixtures/optimize.js";
import { buildTestModel, parsePreset } from "../src/generator/test-model/build.js";
import { makeRunConfig } from "../src/optimizers/run.js";
import { RunSession } from "../src/session/run-session.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const latencyMs = Number(arg("latency", "300"));
const budget = Number(arg("budget", "150"));
const batchMode = arg("batch-mode", "reference") as "reference" | "distinct";
const preset = parsePreset(arg("preset", "smol135"));
const concurrency = Number(arg("concurrency", "8"));
const LENGTHS: Record<string, number> = { typical: 32, worst: 128 };
const lengths = arg("lengths", "typical");
if (!(lengths in LENGTHS)) throw new Error(`--lengths: expected typical or worst, got ${lengths}`);
const instructionTokens = Number(arg("instruction-tokens", String(LENGTHS[lengths])));
if (!Number.isInteger(instructionTokens) || instructionTokens < 1)
  throw new Error(`--instruction-tokens: expected a positive integer, got ${arg("instruction-tokens", "")}`);
// auto: the default command's setting (q8 when the model has it: the model is built with q8 linears, as
// the default hub model ships them)
const dtype = arg("dtype", "auto");
if (dtype !== "fp32" && dtype !== "q8" && dtype !== "auto")
  throw new Error(`--dtype: expected auto, fp32 or q8, got ${dtype}`);
// unset: the run's default (pipelined: the black box here is not local)
const pipelined = process.argv.includes("--pipelined")
  ? true
  : process.argv.includes("--no-pipelined")
    ? false
    : undefined;

const dir = mkdtempSync(join(tmpdir(), "iz-bench-opt-"));
const model = join(dir, preset);
let t = performance.now();
buildTestModel(model, { preset, seed: 0, linears: dtype === "fp32" ? "fp32" : "q8" });
console.log(`built ${preset} random model in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const taskFile = join(dir, "reverse.jsonl");
const words = Array.from({ length: 80 }, (_, i) => `word${i}`);
writeFileSync(taskFile, words.map((w) => JSON.stringify({ input: w, output: reverse(w) })).join("\n") + "\n");

const server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs });
const config = makeRunConfig({
  task: taskFile,
  target: "openai:bench",
  generator: model,
  method: "instructzero",
  budget,
  batchMode,
  ...(pipelined !== undefined ? { pipelined } : {}),
  instructionTokens,
  generatorDtype: dtype,
  baseUrl: server.url,
  concurrency,
  cache: join(dir, "cache.sqlite"),
});
const session = await RunSession.open({
  config,
  store: join(dir, "runs.sqlite"),
  blackBoxOptions: { apiKey: "bench" },
});
t = performance.now();
const out = await session.run();
const wall = performance.now() - t;
await session.close();
await server.close();

const g = out.totals.generationMs ?? 0;
const b = out.totals.boMs ?? 0;
const e = out.totals.evaluationMs ?? 0;
const pct = (x: number) => `${((100 * x) / wall).toFixed(1)}%`;
console.log(
  `\n${budget} evaluations, ${latencyMs} ms per call, concurrency ${concurrency}, batch mode ${batchMode}, ` +
    `${config.pipelined ? "pipelined, " : ""}${instructionTokens} tokens per instruction, generator ${preset} ${dtype}`,
);
console.log(
  `status ${out.status}; best validation ${out.best?.score.toFixed(3)}; test ${out.test?.score.toFixed(3)}`,
);
console.log(`distinct instructions ${out.totals.distinctInstructions}; calls ${out.totals.calls}`);
console.log(`wall time            ${(wall / 1000).toFixed(1)} s`);
console.log(`generation           ${(g / 1000).toFixed(1)} s (${pct(g)})`);
console.log(`BO (fit + proposals) ${(b / 1000).toFixed(1)} s (${pct(b)})`);
console.log(`black-box waiting    ${(e / 1000).toFixed(1)} s (${pct(e)})`);
console.log(`  (generation overlaps black-box waiting, so the shares can add up to more than 100%)`);
console.log(
  `optimiser overhead   ${pct(wall - e)} = wall time not spent waiting for the black box (target < 15%)`,
);
