/**
 * Benchmark of `instructzero ui` on a big store: a ledger file of `--runs` runs (5 evaluations each) and
 * one run of `--evaluations` evaluations x `--examples` validation examples. Prints the server's time
 * per page (median of `--repeat` requests, in process) and the page load in headless Chromium
 * (navigation to the load event, median), for the runs page, the big run's page, its candidates table
 * and one candidate. Timing figures: run it alone on an idle machine.
 * Run: npm run bench:ui [-- --runs 1000 --evaluations 3000 --examples 20 --repeat 5]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { makeRunConfig } from "../src/optimizers/run.js";
import { openLedger } from "../src/store/ledger.js";
import type { EvaluationRecord } from "../src/store/types.js";
import { startUiServer } from "../src/ui/server.js";
import { Rng } from "../src/util/rng.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const nRuns = arg("runs", 1000);
const nEvals = arg("evaluations", 3000);
const nExamples = arg("examples", 20);
const repeat = arg("repeat", 5);
const CHROMIUM = "/usr/bin/chromium";

/** A synthetic evaluation of `n` examples. */
function record(rng: Rng, index: number, n: number): EvaluationRecord {
  const scores: number[] = Array.from({ length: n }, (): number =>
    rng.uniform() < 0.4 + (0.4 * (index % 13)) / 13 ? 1 : 0,
  );
  return {
    index,
    iteration: index < 8 ? 0 : 1 + Math.floor((index - 8) / 8),
    z: Array.from({ length: 10 }, () => rng.uniform() * 2 - 1),
    instruction: `Candidate instruction ${index}: write the word backwards, letter by letter, variant ${index % 97}.`,
    score: scores.reduce((a, b) => a + b, 0) / n,
    scores,
    outputs: scores.map((s, i) => (s ? `drow${i}` : `a somewhat longer wrong answer for example ${i}`)),
    reused: false,
    calls: n,
    cacheHits: 0,
    inputTokens: 40 * n,
    outputTokens: 5 * n,
    costUsd: 0.00002 * n,
    generationMs: 20,
    evaluationMs: 300,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), "iz-bench-ui-"));
const file = join(dir, "runs.sqlite");
const rng = new Rng(7);
const t0 = performance.now();
const ledger = openLedger(file);
const examples = Array.from({ length: nExamples }, (_, i) => ({ input: `word${i}`, answers: [`${i}drow`] }));
let big = "";
ledger.transaction(() => {
  for (let r = 0; r < nRuns; r++) {
    const id = ledger.createRun(
      makeRunConfig({
        task: "antonyms",
        target: "openai:gpt-4o-mini",
        budget: 20,
        seed: r,
        validationSize: 5,
      }),
    );
    for (let i = 0; i < 5; i++) ledger.appendEvaluation(id, record(rng, i, 5));
    if (r % 4 === 0) ledger.setStatus(id, "stopped", "budget reached");
  }
  big = ledger.createRun(
    makeRunConfig({
      task: "antonyms",
      target: "openai:gpt-4o-mini",
      budget: nEvals,
      seed: 99_999,
      validationSize: nExamples,
    }),
  );
  ledger.setExamples(big, "validation", examples);
  for (let i = 0; i < nEvals; i++) ledger.appendEvaluation(big, record(rng, i, nExamples));
  ledger.setStatus(big, "stopped", "budget reached");
});
ledger.close();
console.log(
  `store: ${nRuns} runs x 5 evaluations + 1 run of ${nEvals} evaluations x ${nExamples} examples (written in ${(
    (performance.now() - t0) / 1000
  ).toFixed(1)} s)\n`,
);

const ui = await startUiServer({ store: file, port: 0 });
const origin = ui.origin.replace(/\/$/, "");
const pages: [string, string][] = [
  ["runs page", "/"],
  ["big run's page", `/runs/${big}`],
  ["its candidates table", `/runs/${big}/candidates`],
  ["one candidate", `/runs/${big}/candidates/${Math.floor(nEvals / 2)}`],
];

console.log("page                   server ms   bytes      browser load ms");
const browser = existsSync(CHROMIUM)
  ? await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu"],
    })
  : undefined;
for (const [name, path] of pages) {
  const server: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeat; i++) {
    const s = performance.now();
    const res = await fetch(origin + path);
    const text = await res.text();
    server.push(performance.now() - s);
    bytes = text.length;
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  }
  const load: number[] = [];
  if (browser) {
    const page = await browser.newPage();
    for (let i = 0; i < repeat; i++) {
      const s = performance.now();
      await page.goto(origin + path, { waitUntil: "load" });
      load.push(performance.now() - s);
    }
    await page.close();
  }
  console.log(
    `${name.padEnd(22)} ${median(server).toFixed(0).padStart(9)}   ${String(bytes).padStart(8)}   ${
      browser ? median(load).toFixed(0).padStart(15) : "  (no chromium)"
    }`,
  );
}
await browser?.close();
await ui.close();
rmSync(dir, { recursive: true, force: true });
