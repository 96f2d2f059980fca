/**
 * Screenshots of the dashboard for the README (docs/img/ui-*.png): a store written by real runs of the
 * optimiser fixture against the fake OpenAI server, one of them still running while its page is shot.
 * Run: npx tsx test/ui/screenshots.ts [docs/img]
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { optimizeInstruction } from "../../src/api/optimize-instruction.js";
import { startUiServer } from "../../src/ui/server.js";

const out = resolve(process.argv[2] ?? "docs/img");
mkdirSync(out, { recursive: true });
const fx = makeOptimizeFixture();
const store = join(fx.dir, "runs.sqlite");
const fast = await startFakeOpenAI({ answer: instructionQualityAnswer });
const slow = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 400 });
process.env.OPENAI_API_KEY = "sk-screenshots";
const common = {
  task: fx.taskFile,
  blackBox: "openai:fake",
  generator: fx.model,
  initialPoints: 4,
  batchSize: 4,
  validationSize: 8,
  cache: false,
  store,
};
// APE's proposals (from the fake server) read better than the micro test generator's soft-prompt text
const a = await optimizeInstruction({ ...common, baseUrl: fast.url, budget: 24, seed: 1, method: "ape" });
const b = await optimizeInstruction({ ...common, baseUrl: fast.url, budget: 24, seed: 2 });
const ui = await startUiServer({ store, port: 0, pollMs: 300 });
const origin = ui.origin.replace(/\/$/, "");
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox"],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
const shot = async (path: string, name: string, fullPage = false) => {
  await page.goto(origin + path, { waitUntil: "load" });
  await page.screenshot({ path: join(out, `ui-${name}.png`), fullPage });
  console.log(`wrote ${join(out, `ui-${name}.png`)}`);
};
const running = optimizeInstruction({ ...common, baseUrl: slow.url, budget: 40, seed: 3, method: "ape" });
await new Promise((r) => setTimeout(r, 6000));
await shot("/", "runs");
const live = (await page.locator("#runs-body tr.run-row").first().getAttribute("data-run")) ?? a.runId;
await shot(`/runs/${live}`, "run-live");
await shot(`/runs/${a.runId}`, "run");
await page.goto(`${origin}/runs/${a.runId}`);
await page.locator("#similarity").screenshot({ path: join(out, "ui-similarity.png") });
await shot(`/runs/${a.runId}/candidates`, "candidates");
await shot(`/runs/${a.runId}/candidates/${a.best?.index ?? 0}`, "candidate");
await shot(`/compare?run=${a.runId}&run=${b.runId}`, "compare");
await shot("/sweeps", "sweeps");
await running;
await browser.close();
await ui.close();
await fast.close();
await slow.close();
