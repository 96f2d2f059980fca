/**
 * How close a run's spending stops to its --max-cost cap, and that it never goes over: a uniform run
 * against the local fake OpenAI server (gpt-4o-mini prices, tokens = characters / 4, 20 ms latency,
 * 2% random 429/500 faults), no cache, for several caps and concurrencies. Prints spent, the gap to the
 * cap in dollars and in mean answered calls, and the admission bound (one call's worst case).
 *
 * Run: npm run bench:caps
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../fixtures/optimize.js";
import { buildTestModel } from "../src/generator/test-model/build.js";
import { makeRunConfig } from "../src/optimizers/run.js";
import { RunSession } from "../src/session/run-session.js";

const fx = makeOptimizeFixture();
const model = join(mkdtempSync(join(tmpdir(), "iz-caps-")), "micro");
buildTestModel(model, { preset: "micro", seed: 0 });
const server = await startFakeOpenAI({
  answer: instructionQualityAnswer,
  latencyMs: 20,
  faultRate: 0.02,
  faultKinds: ["429", "500"],
  retryAfter: "0",
});
process.env.OPENAI_API_KEY = "bench";
console.log(
  "| cap | concurrency | answered calls | spent | gap | gap / mean call | worst case of one call | over? |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const maxCost of [0.0002, 0.001, 0.005]) {
  for (const concurrency of [1, 8]) {
    const config = makeRunConfig({
      task: fx.taskFile,
      target: "openai:gpt-4o-mini",
      generator: model,
      method: "uniform",
      budget: 400,
      initialPoints: 400,
      validationSize: 10,
      baseUrl: server.url,
      concurrency,
      cache: false,
      test: false,
      maxCost,
      seed: 1,
    });
    const session = await RunSession.open({ config, store: false });
    const out = await session.run();
    await session.close();
    const spent = out.totals.costUsd;
    const mean = spent / out.totals.calls;
    // the longest query of the run (instruction + input) as the admission sees it
    const worst = ((200 + 16) * 0.15 + 64 * 0.6) / 1e6;
    console.log(
      `| $${maxCost} | ${concurrency} | ${out.totals.calls} | $${spent.toFixed(7)} | $${(maxCost - spent).toFixed(7)} | ${((maxCost - spent) / mean).toFixed(1)} | ~$${worst.toFixed(7)} | ${spent > maxCost ? "YES" : "no"} |`,
    );
  }
}
await server.close();
