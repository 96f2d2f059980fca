/**
 * Generator throughput on the SmolLM2-135M-shaped random model (fp32 or q8, onnxruntime-node CPU):
 * prompt of ~250 positions (5 soft tokens + templated demos), exactly 64 new tokens (EOS ignored),
 * at batch 1 and batch 25. Prints prefill/decode/end-to-end tokens per second, ms per instruction
 * and peak RSS.
 *
 * usage: npm run bench:generator [-- --batches 1,25 --new-tokens 64 --prompt 250 --threads N --repeat R
 *        --cache auto|step|present --dtype fp32|q8 --dir DIR]
 * The last column is the 1-minute load average: other processes on a shared 2-core machine slow
 * every figure down (up to 3-4x), so read the rows with the lowest load.
 * The model is built once into DIR (default $TMPDIR/instructzero-bench-smol135) and reused.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPromptEmbedder } from "../src/generator/generator.js";
import { openLocalModel } from "../src/generator/local-model.js";
import { buildTestModel } from "../src/generator/test-model/build.js";
import type { Demo } from "../src/tasks/types.js";
import { Rng } from "../src/util/rng.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const batches = arg("batches", "1,25").split(",").map(Number);
const newTokens = Number(arg("new-tokens", "64"));
const promptTarget = Number(arg("prompt", "250"));
const threads = Number(arg("threads", "0")) || undefined;
const repeat = Math.max(1, Number(arg("repeat", "1")));
const cacheArg = arg("cache", "auto") as "auto" | "step" | "present";
const dtype = arg("dtype", "fp32") as "fp32" | "q8";
const dir = arg("dir", path.join(os.tmpdir(), "instructzero-bench-smol135"));

let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sample, 20);

const marker = path.join(dir, `.bench-built-v4-${dtype}`);
if (!fs.existsSync(marker)) {
  const t0 = performance.now();
  buildTestModel(dir, { preset: "smol135", seed: 0, linears: dtype === "q8" ? "q8" : "fp32" });
  fs.writeFileSync(marker, "");
  console.log(`built smol135 test model in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${dir}`);
}
const t0 = performance.now();
const model = await openLocalModel(dir, { threads, dtype });
const embedder = await createPromptEmbedder(model, { seed: 0 });
console.log(
  `loaded + prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
    `(prepare ${model.files.cached ? "cached" : "done now"}; logits at last position only: ${model.files.manifest.lastLogitsOnly}; ` +
    `KV cache strategy: ${cacheArg === "auto" ? model.decoder.cacheStrategy({}) : cacheArg})`,
);

// demos until the templated prompt (plus 5 soft tokens) reaches the target length
const words = [
  "sunny",
  "bright",
  "quick",
  "heavy",
  "empty",
  "early",
  "narrow",
  "gentle",
  "ancient",
  "honest",
];
const opposites = ["rainy", "dark", "slow", "light", "full", "late", "wide", "rough", "modern", "deceitful"];
const demos: Demo[] = [];
for (let i = 0; 5 + embedder.textIds(demos).length < promptTarget; i++)
  demos.push({ input: `${words[i % 10]} ${i}`, output: `${opposites[i % 10]} ${i}` });
const P = 5 + embedder.textIds(demos).length;

const rng = new Rng(1);
const zs = (n: number) =>
  Array.from({ length: n }, () => Array.from({ length: 10 }, () => 2 * rng.uniform() - 1));

async function run(B: number) {
  const { x } = await embedder.embedBatch(zs(B), demos);
  const steps: number[] = [];
  const t = performance.now();
  const out = await model.decoder.greedy(x, B, P, {
    maxNewTokens: newTokens,
    eosIds: new Set(),
    cache: cacheArg,
    onStep: (_s, _b, ms) => {
      steps.push(ms);
      sample();
    },
  });
  const total = performance.now() - t;
  const generated = out.reduce((a, r) => a + r.length, 0);
  const prefill = steps[0];
  const decode = steps.slice(1).reduce((a, b) => a + b, 0);
  return { B, total, prefill, decode, generated, decodeSteps: steps.length - 1 };
}

await run(1); // warm-up (session allocations)
console.log(
  `\nsmol135 shapes (hidden 576, 30 layers, 9/3 heads, vocab 49152), ${dtype}, ${threads ?? "default"} threads, ` +
    `${os.cpus().length} cores; prompt ${P} positions, ${newTokens} new tokens (EOS ignored)`,
);
console.log(
  "batch | prefill tok/s | decode tok/s | end-to-end new tok/s | ms/instruction | ms/decode step | load avg",
);
for (const B of batches)
  for (let rep = 0; rep < repeat; rep++) {
    const r = await run(B);
    const fmt = (v: number) => v.toFixed(1).padStart(6);
    console.log(
      `${String(B).padStart(5)} | ${fmt((B * P) / (r.prefill / 1000))} | ` +
        `${fmt((B * r.decodeSteps) / (r.decode / 1000))} | ${fmt(r.generated / (r.total / 1000))} | ` +
        `${fmt(r.total / B)} | ${fmt(r.decode / r.decodeSteps)} | ${os.loadavg()[0].toFixed(1)}`,
    );
  }
clearInterval(timer);
sample();
console.log(`peak RSS ${(peakRss / 2 ** 30).toFixed(2)} GB`);
await model.close();
