/**
 * `instructzero ui` in headless Chromium (Debian's /usr/bin/chromium through playwright-core), over a
 * store written by real runs of the CLI against the fake OpenAI server whose answers carry hostile
 * markup: the runs, run, candidates, candidate, compare and sweeps pages render; a run started by
 * another process beside the open pages appears in the runs list and its chart grows, without a
 * reload; the candidate page shows every validation example's answer; hostile outputs stay text and
 * never run; no request leaves the dashboard's origin; with a token, the pages and their live streams
 * work once the link is opened. Needs `npm run build` (the runs are CLI processes).
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { makeOptimizeFixture } from "../../fixtures/optimize.js";
import { startUiServer, type UiServer } from "../../src/ui/server.js";
import { runCli } from "../helpers/cli.js";
import {
  type Browsing,
  HOSTILE,
  haveChromium,
  hostileAnswer,
  inChromium,
  inCi,
  MISSING,
  optimizeArgs,
} from "./fixture.js";

if (!haveChromium && !inCi) console.warn(`SKIPPED ${MISSING}`);

const fx = makeOptimizeFixture();
const ledger = join(fx.dir, "runs.sqlite");
let fake: FakeOpenAI;
let slow: FakeOpenAI;
let ui: UiServer;
let firstRun = "";
let secondRun = "";

const base = () => ui.origin.replace(/\/$/, "");

/**
 * Wait until the number of elements matching `selector` passes `ok` (polled from the test: the pages'
 * policy forbids evaluating strings, as Playwright's waitForFunction does).
 */
async function untilCount(page: Page, selector: string, ok: (n: number) => boolean, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await page.locator(selector).count();
    if (ok(n)) return n;
    if (Date.now() > end) throw new Error(`${selector}: ${n} elements after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Nothing ran, nothing left the origin, nothing failed. */
async function expectInert(b: Browsing): Promise<void> {
  expect(await b.page.evaluate("typeof window.__pwned")).toBe("undefined");
  expect(await b.page.evaluate<number>("document.querySelectorAll('script:not([src])').length")).toBe(0);
  expect(await b.page.evaluate<number>("document.images.length")).toBe(0);
  expect(b.outside).toEqual([]);
  expect(b.pageErrors).toEqual([]);
  expect(b.consoleErrors).toEqual([]);
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ answer: hostileAnswer });
  // the second run answers slowly, so that it is still running while the pages watch it
  slow = await startFakeOpenAI({ answer: hostileAnswer, latencyMs: 400 });
  const r = await runCli(optimizeArgs(fx, { baseUrl: fake.url, ledger, budget: 10, seed: 1 }), {
    env: { OPENAI_API_KEY: "sk-test-never-shown" },
  });
  expect(r.code, r.stderr).toBe(0);
  firstRun = JSON.parse(r.stdout).runId;
  ui = await startUiServer({ store: ledger, port: 0, pollMs: 200 });
}, 180_000);

afterAll(async () => {
  await ui?.close();
  await fake?.close();
  await slow?.close();
});

describe("instructzero ui in headless Chromium", () => {
  it.runIf(!haveChromium && inCi)("needs Chromium under CI", () => {
    throw new Error(`${MISSING}; CI must provide it`);
  });

  it.skipIf(!haveChromium)(
    "renders the runs, run, candidates, candidate, compare and sweeps pages; hostile outputs stay inert",
    async () => {
      await inChromium(base(), async (b) => {
        const { page } = b;
        // runs
        await page.goto(`${base()}/`);
        expect(await page.title()).toBe("instructzero · runs");
        expect(await page.locator("#runs-body tr.run-row").count()).toBe(1);
        const row = page.locator(`#runs-body tr[data-run="${firstRun}"]`);
        expect(await row.locator("td").nth(2).textContent()).toBe("completed");
        expect(await row.locator("td").nth(5).textContent()).toBe("openai:fake");
        await expectInert(b);

        // one run: the report's sections, links to each candidate, the live panel
        await row.locator("a").first().click();
        await page.waitForURL(`${base()}/runs/${firstRun}`);
        expect(await page.locator("h1").first().textContent()).toBe(`Run ${firstRun}`);
        expect(await page.locator("svg#progress-chart circle.eval-point").count()).toBe(10);
        expect(await page.locator("svg#similarity-map circle.sim-point").count()).toBeGreaterThan(1);
        expect(await page.locator("#live-status").textContent()).toBe("completed");
        expect(await page.locator("#live-done").count()).toBe(0);
        expect(await page.locator("#verdict").count()).toBe(1);
        expect(await page.locator("#validation-examples tbody tr").count()).toBe(5);
        const box = await page.locator("svg#progress-chart").boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        // model outputs are text
        const outputs = await page.locator("#validation-examples td:nth-child(4)").allTextContents();
        expect(outputs.some((t) => t.includes(HOSTILE.img) && t.includes(HOSTILE.script))).toBe(true);
        await expectInert(b);

        // the candidates table, sorted by score, then by index
        await page.locator(".run-links a", { hasText: "every candidate" }).click();
        expect(await page.locator("#candidates-table tbody tr").count()).toBe(10);
        const scores = (await page.locator("#candidates-table tbody td:nth-child(3)").allTextContents()).map(
          Number,
        );
        expect(scores).toEqual([...scores].sort((x, y) => y - x));
        await page.locator("#candidates-table thead a", { hasText: "evaluation" }).click();
        const indices = (await page.locator("#candidates-table tbody td:nth-child(1)").allTextContents()).map(
          Number,
        );
        expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

        // one candidate: every validation example with its answer and score
        await page.locator("#candidates-table tbody a", { hasText: /^3$/ }).click();
        await page.waitForURL(`${base()}/runs/${firstRun}/candidates/3`);
        expect(await page.locator("h1").textContent()).toContain("Evaluation 3");
        const rows = page.locator("#candidate-examples-table tbody tr");
        expect(await rows.count()).toBe(5);
        const inputs = await page
          .locator("#candidate-examples-table tbody td:nth-child(2)")
          .allTextContents();
        expect(inputs.every((t) => /^word\d+$/.test(t))).toBe(true);
        const answers = await page
          .locator("#candidate-examples-table tbody td:nth-child(4)")
          .allTextContents();
        inputs.forEach((input, i) => {
          if (/[13579]$/.test(input)) expect(answers[i]).toContain(HOSTILE.script);
          else expect(answers[i]).not.toContain("<");
        });
        expect(await page.locator("#neighbours-table tbody tr").count()).toBeGreaterThan(0);
        await expectInert(b);

        // compare, sweeps
        await page.goto(`${base()}/compare?run=${firstRun}&run=${firstRun.slice(0, 10)}`);
        expect(await page.locator("#compare-picker").count()).toBe(1);
        await page.goto(`${base()}/sweeps`);
        expect(await page.locator("#sweep-overall tbody tr").count()).toBe(1);
        expect(await page.locator("#sweep-cells tbody tr").count()).toBe(1);
        await expectInert(b);

        // the static report is served with its own policy and stays script-free
        await page.goto(`${base()}/runs/${firstRun}/report.html`);
        expect(await page.locator("svg#progress-chart circle.eval-point").count()).toBe(10);
        expect(await page.evaluate<number>("document.scripts.length")).toBe(0);
        await expectInert(b);
      });
    },
  );

  it.skipIf(!haveChromium)(
    "shows a run started by another process: it appears in the list and its chart grows without a reload",
    async () => {
      await inChromium(base(), async (b) => {
        const { page } = b;
        await page.goto(`${base()}/`);
        await page.evaluate("window.__sameDocument = true");
        const running = runCli(optimizeArgs(fx, { baseUrl: slow.url, ledger, budget: 24, seed: 2 }), {
          env: { OPENAI_API_KEY: "sk-test-never-shown" },
        });
        // the new run appears in the open runs page
        await untilCount(page, "#runs-body tr.run-row", (n) => n === 2, 60_000);
        expect(await page.evaluate("window.__sameDocument")).toBe(true);
        expect(await page.locator("#runs-count").textContent()).toContain("2 runs");
        secondRun = (await page.locator("#runs-body tr.run-row").first().getAttribute("data-run")) ?? "";
        expect(secondRun).not.toBe(firstRun);
        expect(await page.locator("#runs-body tr.run-row").first().locator(".status").textContent()).toBe(
          "running",
        );

        // its page follows it: the chart grows, the page stays the same document
        await page.goto(`${base()}/runs/${secondRun}`);
        await page.evaluate("window.__sameDocument = true");
        const points = () => page.locator("svg#progress-chart circle.eval-point").count();
        const before = await points();
        await untilCount(page, "svg#progress-chart circle.eval-point", (n) => n > before, 60_000);
        expect(await page.evaluate("window.__sameDocument")).toBe(true);
        expect(await page.locator("#live-phase").textContent()).not.toBe("");
        // ... to the end of the run
        const done = await running;
        expect(done.code, done.stderr).toBe(0);
        await untilCount(page, "svg#progress-chart circle.eval-point", (n) => n === 24, 30_000);
        await page.locator("#live-status", { hasText: "completed" }).waitFor({ timeout: 30_000 });
        expect(await page.locator("#live-done").count()).toBe(1);
        expect(await page.evaluate("window.__sameDocument")).toBe(true);
        expect(Number(await page.evaluate("document.body.dataset.updates"))).toBeGreaterThan(1);
        await expectInert(b);

        // two runs of the same task side by side
        await page.goto(`${base()}/compare?run=${firstRun}&run=${secondRun}`);
        expect(await page.locator("#compare-table thead th").count()).toBe(3);
        expect(await page.locator("#compare-instructions .side").count()).toBe(2);
        expect(await page.locator("#compare-progress svg circle.eval-point").count()).toBe(10 + 24);
        await expectInert(b);
      });
    },
    180_000,
  );

  it.skipIf(!haveChromium)(
    "with a token: the link sets it, then the pages and their live streams work",
    async () => {
      const token = "t".repeat(20) + "0123456789";
      const guarded = await startUiServer({ store: ledger, port: 0, pollMs: 200, token });
      try {
        const origin = guarded.origin.replace(/\/$/, "");
        await inChromium(origin, async (b) => {
          const { page } = b;
          const denied = await page.goto(`${origin}/`);
          expect(denied?.status()).toBe(401);
          await page.goto(guarded.url);
          expect(page.url()).toBe(`${origin}/`);
          expect(await page.locator("#runs-body tr.run-row").count()).toBeGreaterThanOrEqual(1);
          // the live stream carries the cookie too: its first update arrives
          await page.locator("body[data-updates]").waitFor({ state: "attached", timeout: 20_000 });
          expect(b.outside).toEqual([]);
        });
      } finally {
        await guarded.close();
      }
    },
  );
});
