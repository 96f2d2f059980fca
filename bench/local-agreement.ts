/**
 * Agreement of local black-box answers (no timing): q8 with deterministic batches (batch groups, the
 * default for quantised variants) run twice with concurrency, and q8 against fp32, on the random
 * Qwen2.5-0.5B-shaped model, through the real path (createBlackBox + evaluateInstruction: each
 * candidate's 20 validation queries one batch group, --parallel candidates scored at once).
 *
 * usage: npx tsx bench/local-agreement.ts [--candidates 6 --parallel 3 --tokens 4 --preset qwen05 --dir DIR]
 * Random weights: agreement with fp32 is a weak proxy for a trained model's.
 */
import os from "node:os";
import path from "node:path";
import { createBlackBox } from "../src/blackbox/client.js";
import type { BlackBox } from "../src/blackbox/types.js";
import { evaluateInstruction } from "../src/evaluation/evaluate.js";
import { parsePreset } from "../src/generator/test-model/build.js";
import { ensureTestModel } from "./test-models.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const preset = parsePreset(arg("preset", "qwen05"));
const dir = arg(
  "dir",
  path.join(os.tmpdir(), preset === "qwen05" ? "instructzero-bench-qwen05" : `instructzero-bench-${preset}`),
);
const candidates = Number(arg("candidates", "6"));
const parallel = Number(arg("parallel", "3"));
const tokens = Number(arg("tokens", "4"));
for (const dtype of ["fp32", "q8"] as const) ensureTestModel(dir, preset, dtype);

const INSTRUCTIONS = [
  "Write the opposite of the word you are given, in lower case.",
  "Give an antonym for the input word and nothing more.",
  "Reply with the word of opposite meaning to the input.",
  "Turn the given word into its opposite, one word only.",
  "Answer with the antonym of the word, no punctuation.",
  "Output a word that means the reverse of the input.",
];
const WORDS =
  "sunny bright quick heavy empty early narrow gentle ancient honest hot cold up down big small fast slow wet dry";
const examples = WORDS.split(" ").map((input) => ({ input, answers: ["x"] }));

/** Every candidate's answers, `parallel` candidates scored at once. */
async function answers(bb: BlackBox): Promise<string[][]> {
  const out: string[][] = [];
  for (let a = 0; a < candidates; a += parallel) {
    const evs = await Promise.all(
      Array.from({ length: Math.min(parallel, candidates - a) }, (_, k) =>
        evaluateInstruction(bb, INSTRUCTIONS[(a + k) % INSTRUCTIONS.length], examples, {
          metric: "em",
          maxTokens: tokens,
        }),
      ),
    );
    out.push(...evs.map((e) => e.examples.map((x) => x.output)));
  }
  await bb.close();
  return out;
}
const open = (dtype: string, extra: Record<string, unknown> = {}) =>
  createBlackBox(`local:${dir}`, { cache: false, providerOptions: { dtype, ...extra } });

const q8a = await answers(open("q8"));
const q8b = await answers(open("q8"));
const q8mixed = await answers(open("q8", { groupBatches: false }));
const fp = await answers(open("fp32"));
const agree = (x: string[][], y: string[][]) => {
  const a = x.flat();
  const b = y.flat();
  return `${a.filter((t, i) => t === b[i]).length}/${a.length}`;
};
console.log(
  `${preset} random model, ${candidates} candidates x ${examples.length} queries, ${parallel} candidates at once, ` +
    `${tokens} answer tokens`,
);
console.log(`q8 deterministic batches, run 1 vs run 2:     ${agree(q8a, q8b)}`);
console.log(`q8 deterministic vs q8 batched by arrival:    ${agree(q8a, q8mixed)}`);
console.log(`q8 deterministic vs fp32:                     ${agree(q8a, fp)}`);
console.log(`q8 batched by arrival vs fp32:                ${agree(q8mixed, fp)}`);
