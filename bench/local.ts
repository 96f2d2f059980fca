/**
 * The local black box on the Qwen2.5-0.5B-shaped random model (hidden 896, 24 layers, 14/2 heads,
 * vocab 151,936; onnxruntime-node CPU): one candidate's 20 validation queries (~75 prompt tokens
 * of which ~25 are the instruction, 4 new tokens, EOS ignored) answered
 *   - one at a time (the provider before batching),
 *   - batched (dynamic batches of --batch N, default the provider's 20, 5 ms wait) without prefix reuse,
 *   - batched with prefix reuse (the provider's default; the prefix cache persists across candidates,
 *     as in a run, so each candidate reuses the template header and computes its instruction once),
 * for fp32 and q8; agreement of the answers (q8 vs fp32, batched vs one at a time); the generator's
 * speed (batch 25, 5 soft tokens + 5 demos); the projected time of the default paper-budget run
 * (3,000 black-box calls + 150 instructions) and peak RSS.
 *
 * usage: npm run bench:local [-- --candidates 3 --gen-tokens 16 --threads N --dir DIR --skip-q8]
 * The models are built once into DIR (default $TMPDIR/instructzero-bench-qwen05, ~2.6 GB) and reused.
 * Random weights: answer agreement is a weak proxy for a trained model's.
 * Load average is printed with every row: other processes on a shared 2-core machine slow every
 * figure down.
 */
import { execSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { LOCAL_BATCH_SIZE } from "../src/generator/batch-limits.js";
import { BatchScheduler } from "../src/generator/batch-scheduler.js";
import { createPromptEmbedder } from "../src/generator/generator.js";
import {
  type BatchCompletionRequest,
  type LocalModel,
  openLocalModel,
} from "../src/generator/local-model.js";
import { PrefixKvCache } from "../src/generator/prefix-cache.js";
import { Rng } from "../src/util/rng.js";
import { ensureTestModel } from "./test-models.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const candidates = Math.max(1, Number(arg("candidates", "3")));
const genTokens = Number(arg("gen-tokens", "16"));
const threads = Number(arg("threads", "0")) || undefined;
const dir = arg("dir", path.join(os.tmpdir(), "instructzero-bench-qwen05"));
const dtypes = process.argv.includes("--skip-q8") ? ["fp32"] : ["fp32", "q8"];
const NEW_TOKENS = 4;
const BATCH = Math.max(1, Number(arg("batch", String(LOCAL_BATCH_SIZE))));
const PAPER_CALLS = 3000;
const PAPER_INSTRUCTIONS = 150;
const GEN_BATCH = 25;

let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sample, 20);
const load = () => os.loadavg()[0].toFixed(2);
const uptime = () => execSync("uptime").toString().trim();
console.log(`start: ${uptime()}`);

// ---- the models (built once; q8 = the same random weights quantised like ORT dynamic quantisation)
for (const dtype of dtypes) {
  const seconds = ensureTestModel(dir, "qwen05", dtype as "fp32" | "q8");
  if (seconds > 0) console.log(`built the qwen05 ${dtype} model in ${seconds.toFixed(0)} s -> ${dir}`);
}

// ---- the queries: one instruction per candidate, 20 inputs
const INSTRUCTIONS = [
  "Write the opposite of the word you are given, in lower case.",
  "Give an antonym for the input word and nothing more.",
  "Reply with the word of opposite meaning to the input.",
  "Turn the given word into its opposite, one word only.",
  "Answer with the antonym of the word, no punctuation.",
];
const INPUTS = [
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
  "hot",
  "cold",
  "up",
  "down",
  "big",
  "small",
  "fast",
  "slow",
  "wet",
  "dry",
];
const candidate = (c: number): BatchCompletionRequest[] =>
  INPUTS.map((x) => ({
    prompt: `Instruction: ${INSTRUCTIONS[c % INSTRUCTIONS.length]}\n\nInput: ${x}\n Output:`,
    maxNewTokens: NEW_TOKENS,
    ignoreEos: true,
  }));

type Mode = "one at a time" | "batched" | "batched + prefix reuse";
interface Row {
  dtype: string;
  mode: Mode;
  msPerQuery: number;
  load: string;
  answers: string[];
}
const rows: Row[] = [];
const gen: Record<string, { prefillMs: number; stepMs: number; P: number; load: string }> = {};
const phasePeak: Record<string, number> = {};

/** Answer candidate c's 20 queries the way `mode` does; returns the answers and ms per query. */
async function answer(model: LocalModel, c: number, mode: Mode, cache: PrefixKvCache) {
  const reqs = candidate(c);
  const t0 = performance.now();
  let texts: string[];
  if (mode === "one at a time") {
    texts = [];
    for (const r of reqs) texts.push((await model.complete(r.prompt, r)).text);
  } else {
    // the provider's path: 20 concurrent requests, dynamic batches of BATCH
    const share = mode === "batched + prefix reuse";
    const s = new BatchScheduler<BatchCompletionRequest, string>(
      async (jobs) => {
        await model.completeBatch(
          jobs.map((j) => j.input),
          {
            sharePrefix: share,
            prefixCache: share ? cache : null,
            onDone: (i, r) => jobs[i].resolve(r.text),
          },
        );
      },
      { maxBatch: BATCH, maxWaitMs: 5 },
    );
    texts = await Promise.all(reqs.map((r) => s.submit(r)));
  }
  sample();
  return { texts, ms: (performance.now() - t0) / reqs.length };
}

for (const dtype of dtypes) {
  peakRss = 0;
  const t0 = performance.now();
  const model = await openLocalModel(dir, { dtype, threads });
  console.log(
    `\n${dtype}: loaded + prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s; prompt ` +
      `${model.chatIds(candidate(0)[0].prompt).length} tokens (instruction ${model.chat.encode(INSTRUCTIONS[0]).length})`,
  );
  await model.complete(candidate(0)[0].prompt, { maxNewTokens: 2 }); // warm-up
  await model.completeBatch(
    candidate(0)
      .slice(0, BATCH)
      .map((r) => ({ ...r, maxNewTokens: 2 })),
  );
  const modes: Mode[] = ["one at a time", "batched", "batched + prefix reuse"];
  const cache = new PrefixKvCache();
  for (const mode of modes) {
    const ms: number[] = [];
    const answers: string[] = [];
    for (let c = 0; c < candidates; c++) {
      const r = await answer(model, c, mode, cache);
      ms.push(r.ms);
      answers.push(...r.texts);
    }
    const row = { dtype, mode, msPerQuery: median(ms), load: load(), answers };
    rows.push(row);
    console.log(
      `  ${mode.padEnd(24)} ${row.msPerQuery.toFixed(0).padStart(5)} ms/query ` +
        `(per candidate: ${ms.map((m) => m.toFixed(0)).join(", ")}) load ${row.load}`,
    );
  }
  // the generator: batch 25, 5 soft tokens + 5 demos, genTokens forced new tokens
  const embedder = await createPromptEmbedder(model, { seed: 0 });
  const demos = INPUTS.slice(0, 5).map((input, i) => ({ input, output: INPUTS[(i + 10) % 20] }));
  const rng = new Rng(1);
  const zs = Array.from({ length: GEN_BATCH }, () => Array.from({ length: 10 }, () => 2 * rng.uniform() - 1));
  const { x, P } = await embedder.embedBatch(zs, demos);
  const steps: number[] = [];
  await model.decoder.greedy(x, GEN_BATCH, P, {
    maxNewTokens: genTokens,
    eosIds: new Set(),
    onStep: (_s, _b, t) => {
      steps.push(t);
      sample();
    },
  });
  gen[dtype] = {
    prefillMs: steps[0],
    stepMs: steps.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, steps.length - 1),
    P,
    load: load(),
  };
  console.log(
    `  generator batch ${GEN_BATCH}, prompt ${P} positions: prefill ${steps[0].toFixed(0)} ms, ` +
      `${gen[dtype].stepMs.toFixed(0)} ms per decoding step (${genTokens} new tokens) load ${gen[dtype].load}`,
  );
  await model.close();
  sample();
  phasePeak[dtype] = peakRss;
}
clearInterval(timer);

// ---- report
const find = (dtype: string, mode: Mode) => rows.find((r) => r.dtype === dtype && r.mode === mode) as Row;
const agree = (a: string[], b: string[]) => `${a.filter((t, i) => t === b[i]).length}/${a.length}`;
const n = candidates * INPUTS.length;
console.log(
  `\nqwen05-shaped random model, ${os.cpus().length} cores, ${threads ?? "default"} threads; ${candidates} candidates x ` +
    `${INPUTS.length} queries, ${NEW_TOKENS} new tokens (EOS ignored); median over candidates`,
);
console.log("dtype | mode                     | ms/query | speed-up vs fp32 one at a time | load");
const base = find("fp32", "one at a time").msPerQuery;
for (const r of rows)
  console.log(
    `${r.dtype.padEnd(5)} | ${r.mode.padEnd(24)} | ${r.msPerQuery.toFixed(0).padStart(8)} | ` +
      `${(base / r.msPerQuery).toFixed(2).padStart(30)} | ${r.load}`,
  );
console.log(`\nagreement of answer texts (${n} queries; random weights: a weak proxy):`);
for (const dtype of dtypes) {
  const one = find(dtype, "one at a time").answers;
  console.log(
    `  ${dtype} batched vs one at a time: ${agree(find(dtype, "batched").answers, one)}; ` +
      `batched + prefix reuse vs one at a time: ${agree(find(dtype, "batched + prefix reuse").answers, one)}`,
  );
}
if (dtypes.includes("q8"))
  console.log(
    `  q8 vs fp32 (one at a time): ${agree(find("q8", "one at a time").answers, find("fp32", "one at a time").answers)}; ` +
      `q8 vs fp32 (batched + prefix reuse): ${agree(find("q8", "batched + prefix reuse").answers, find("fp32", "one at a time").answers)}`,
  );

console.log(
  `\nprojected default paper-budget run: ${PAPER_CALLS} black-box calls + ${PAPER_INSTRUCTIONS} instructions ` +
    `(generator batches of ${GEN_BATCH}; instructions of 32 tokens typical, 128 the cap):`,
);
const genSeconds = (dtype: string, tokens: number) => {
  const g = gen[dtype];
  return ((PAPER_INSTRUCTIONS / GEN_BATCH) * (g.prefillMs + tokens * g.stepMs)) / 1000;
};
const fmt = (s: number) => `${(s / 60).toFixed(1)} min`;
for (const bb of dtypes)
  for (const mode of ["one at a time", "batched + prefix reuse"] as Mode[]) {
    const bbS = (PAPER_CALLS * find(bb, mode).msPerQuery) / 1000;
    const g = "fp32";
    console.log(
      `  black box ${bb} ${mode}: ${fmt(bbS)}; + generator ${g}: ${fmt(bbS + genSeconds(g, 32))} ` +
        `(32-token instructions), ${fmt(bbS + genSeconds(g, 128))} (128)` +
        (gen.q8
          ? `; with a q8 generator: ${fmt(bbS + genSeconds("q8", 32))} (32), ${fmt(bbS + genSeconds("q8", 128))} (128)`
          : ""),
    );
  }
for (const dtype of dtypes) {
  const g = gen[dtype];
  console.log(
    `  generator ${dtype}: ${(g.prefillMs / GEN_BATCH).toFixed(0)} ms prefill + ${(g.stepMs / GEN_BATCH).toFixed(1)} ms ` +
      "per token, per instruction",
  );
}
console.log(
  `\npeak RSS: ${dtypes.map((d) => `${d} phase ${(phasePeak[d] / 2 ** 30).toFixed(2)} GB`).join(", ")}`,
);
const end = uptime();
console.log(`end: ${end}`);
if (os.loadavg()[0] > 2.5)
  console.log("note: load average above 2.5: other processes shared the 2 cores; figures are pessimistic");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
