/**
 * Benchmark of `eval`: 100 test examples against a local OpenAI-compatible server that adds 200 ms of
 * latency per call, at black-box concurrency 1, 8 and 32. Prints wall time per setting.
 * Run: npm run bench:eval [-- --latency 200 --examples 100]
 */

import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { createBlackBox } from "../src/blackbox/client.js";
import { evaluateInstruction } from "../src/evaluation/evaluate.js";
import type { Example } from "../src/tasks/types.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const latencyMs = arg("latency", 200);
const n = arg("examples", 100);
const words = ["hot", "big", "fast", "happy", "up", "light", "open", "early", "old", "high"];
const examples: Example[] = Array.from({ length: n }, (_, i) => ({
  input: `${words[i % words.length]} ${i}`,
  answers: ["x"],
}));

const server = await startFakeOpenAI({ latencyMs });
console.log(`eval of ${n} examples, ${latencyMs} ms latency per call (local server, no cache)\n`);
console.log("concurrency  wall time  calls  calls/s");
for (const concurrency of [1, 8, 32]) {
  const bb = createBlackBox("openai:bench", { baseURL: server.url, apiKey: "k", cache: false, concurrency });
  const t0 = performance.now();
  const r = await evaluateInstruction(bb, "Write the antonym.", examples, { metric: "em", template: "test" });
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${String(concurrency).padStart(11)}  ${s.toFixed(2).padStart(8)} s  ${String(r.calls).padStart(5)}  ${(r.calls / s).toFixed(1).padStart(7)}`,
  );
  await bb.close();
}
await server.close();
