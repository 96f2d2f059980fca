/**
 * What generating a batch of instructions in chunks costs (prints lines; not a test): the same 25 soft
 * prompts generated in one chunk and in the search's chunks (10 + 9 + 6, src/optimizers/soft-prompt/
 * chunks.ts) and in five chunks of 5, on the Qwen2.5-0.5B-shaped random model built by
 * bench:zero-config / bench:local (5 soft tokens + 5 demos, 32 new tokens: random weights never stop).
 * Prints the wall time, the process's CPU time (ORT threads included) and the load average, twice for
 * the first two shapes. CPU time shows the work, wall time the wait: run it alone for the wall time.
 *
 * usage: npx tsx bench/gen-chunks.ts [-- --dtype q8|fp32 --dir DIR --tokens 32]
 */
import os from "node:os";
import path from "node:path";
import { openGenerator } from "../src/generator/backends/index.js";
import { Rng } from "../src/util/rng.js";
import { ensureTestModel } from "./test-models.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const dtype = arg("dtype", "q8");
if (dtype !== "q8" && dtype !== "fp32") throw new Error(`--dtype: expected q8 or fp32, got ${dtype}`);
const tokens = Number(arg("tokens", "32"));
const dir = arg("dir", path.join(os.tmpdir(), "instructzero-bench-qwen05"));
ensureTestModel(dir, "qwen05", dtype);

const gen = await openGenerator({
  source: dir,
  seed: 0,
  nTokens: 5,
  intrinsicDim: 10,
  projection: "uniform",
  dtype,
  maxNewTokens: tokens,
});
const demos = Array.from({ length: 5 }, (_, i) => ({ input: `word${i} sunny`, output: `rainy${i}` }));
const rng = new Rng(1);
const zs = (n: number) =>
  Array.from({ length: n }, () => Array.from({ length: 10 }, () => 2 * rng.uniform() - 1));
await gen.generate(zs(2), demos); // warm-up
console.log(
  `qwen05-shaped random model, ${dtype}, 25 instructions of ${tokens} tokens, ${os.cpus().length} cores`,
);
for (const shape of [[25], [10, 9, 6], [25], [10, 9, 6], [5, 5, 5, 5, 5]]) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const n of shape) await gen.generate(zs(n), demos);
  const c = process.cpuUsage(c0);
  console.log(
    `${shape.join(" + ").padEnd(17)} wall ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
      `CPU ${((c.user + c.system) / 1e6).toFixed(1)} s, load ${os.loadavg()[0].toFixed(2)}`,
  );
}
await gen.close();
