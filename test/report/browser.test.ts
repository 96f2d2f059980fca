/**
 * The HTML reports in headless Chromium (Debian's /usr/bin/chromium through playwright-core): the run
 * report renders with its charts (one vertex per evaluation, the baselines as lines), verdicts, cards,
 * heatmap and tables; the sweep report renders its per-task tables and bars; injected scripts do not
 * run and neither page attempts a network request. Without Chromium the tests fail under CI=true and
 * are skipped (with a message) elsewhere.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { summarizeSweep } from "../../src/optimizers/sweep.js";
import { exportRun } from "../../src/report/export.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { renderSweepHtml } from "../../src/report/sweep-html.js";
import { openLedger } from "../../src/store/ledger.js";
import { makeConfig, makeRecord } from "../store/synthetic.js";
import { BASELINES, makeInjectedRun, N_EVALS, PAYLOADS, TRANSFER } from "./fixture.js";
import { makeSweepCells, SWEEP_METHODS, SWEEP_TASKS } from "./sweep-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";
const MISSING = `headless Chromium report test: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`;

if (!haveChromium && !inCi) console.warn(`SKIPPED ${MISSING}`);

/** What a page did while it loaded. */
interface Loaded {
  page: Page;
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

/**
 * Write `html` to a temporary file, open it in headless Chromium (every request other than the page
 * itself recorded and aborted), run `check`, then close everything.
 */
async function inChromium(html: string, check: (loaded: Loaded) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "iz-browser-"));
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  const pageUrl = pathToFileURL(file).href;
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    context.on("request", (req) => {
      if (req.url() !== pageUrl) requests.push(req.url());
    });
    await context.route("**/*", (route) =>
      route.request().url() === pageUrl ? route.continue() : route.abort(),
    );
    const page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") consoleErrors.push(msg.text());
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(pageUrl, { waitUntil: "load" });
    await check({ page, requests, consoleErrors, pageErrors });
  } finally {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Nothing ran, nothing was loaded, nothing complained. */
async function expectInert(l: Loaded): Promise<void> {
  expect(await l.page.evaluate("typeof window.__pwned")).toBe("undefined");
  expect(await l.page.evaluate<number>("document.scripts.length")).toBe(0);
  expect(await l.page.evaluate<number>("document.images.length")).toBe(0);
  expect(l.requests).toEqual([]);
  expect(l.consoleErrors).toEqual([]);
  expect(l.pageErrors).toEqual([]);
}

describe("HTML report in headless Chromium", () => {
  it.runIf(!haveChromium && inCi)("needs Chromium under CI", () => {
    throw new Error(`${MISSING}; CI must provide it (.ci/run installs it)`);
  });

  it.skipIf(!haveChromium)(
    haveChromium
      ? "renders the charts, baselines, verdicts and heatmap, runs no injected script and makes no network request"
      : `SKIPPED: ${MISSING}`,
    async () => {
      const ledger = openLedger(":memory:");
      const exp = exportRun(ledger, makeInjectedRun(ledger));
      ledger.close();
      await inChromium(renderHtmlReport(exp), async (l) => {
        const { page } = l;
        // It renders: the title (escaped text), headings and a laid-out body.
        expect(await page.title()).toBe(`instructzero · antonyms ${PAYLOADS.titleBreak} · ${exp.run.id}`);
        expect(await page.locator("h1").textContent()).toBe(`Run ${exp.run.id}`);
        expect(await page.locator("h2").count()).toBeGreaterThanOrEqual(12);
        expect(await page.evaluate<number>("document.body.scrollHeight")).toBeGreaterThan(2000);
        expect(await page.locator("body").isVisible()).toBe(true);
        // No horizontal overflow of the page itself (wide tables scroll inside their container).
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1200);

        // The progress chart: one polyline vertex and one point per evaluation, laid out; the baselines
        // as labelled lines.
        const chart = page.locator("svg#progress-chart");
        expect(await chart.count()).toBe(1);
        const box = await chart.boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        expect(box?.height).toBeGreaterThan(150);
        const nPoints = await page.evaluate<number>(
          `(document.querySelector("svg#progress-chart polyline.best-so-far")?.points.numberOfItems ?? -1)`,
        );
        expect(nPoints).toBe(N_EVALS);
        expect(await page.locator("svg#progress-chart circle.eval-point").count()).toBe(N_EVALS);
        expect(await page.locator("svg#progress-chart line.baseline-line").count()).toBe(BASELINES.length);
        expect(await page.locator("svg#progress-chart text.baseline-label").allTextContents()).toEqual([
          `${BASELINES[2].name} 0.750`,
          "human instruction 0.500",
          "no instruction 0.250",
        ]);
        for (const label of await page.locator("svg#progress-chart text.baseline-label").all()) {
          const b = await label.boundingBox();
          expect(b?.width).toBeGreaterThan(20);
        }

        // The verdicts in words, the winner's and the baselines' cards.
        expect(await page.locator("#verdicts li").allTextContents()).toEqual([
          "The chosen instruction is not distinguishable from no instruction (difference +0.50, 95% CI +0.00 to +1.00).",
          `The chosen instruction is better than ${BASELINES[2].name} by +0.50 (95% CI +0.10 to +0.90).`,
        ]);
        expect(await page.locator("#winner-card").textContent()).toContain("95% CI 0.000 to 1.000");
        expect(await page.locator("#baseline-cards .baseline-card").count()).toBe(3);
        expect(await page.locator("#baseline-cards svg.interval-bar").count()).toBe(3);

        // The other charts are drawn.
        expect(await page.locator("svg#distribution-chart circle.dist-point").count()).toBe(N_EVALS);
        const cost = await page.evaluate<number>(
          `(document.querySelector("svg#cost-chart polyline.cost-total")?.points.numberOfItems ?? -1)`,
        );
        expect(cost).toBe(N_EVALS);
        for (const id of ["distribution-chart", "cost-chart"]) {
          const b = await page.locator(`svg#${id}`).boundingBox();
          expect(b?.width).toBeGreaterThan(300);
        }

        // The heatmap: 10 rows of 4 coloured cells; the selection and transfer tables.
        expect(await page.locator("#heatmap-table tbody tr").count()).toBe(10);
        expect(await page.locator("#heatmap-table tbody tr:first-child td.cell").count()).toBe(4);
        const colour = await page.evaluate<string>(
          `getComputedStyle(document.querySelector("#heatmap-table tbody tr td.cell.h10")).backgroundColor`,
        );
        expect(colour).not.toBe("rgba(0, 0, 0, 0)");
        expect(await page.locator("#heatmap-table tbody th.instr").first().textContent()).toContain(
          PAYLOADS.script,
        );
        expect(await page.locator("#selection-table tbody tr").count()).toBe(3);
        expect(await page.locator("#selection-table tbody tr.chosen").textContent()).toContain("winner");
        const targets = await page.locator("#transfer-table tbody tr td:first-child").allTextContents();
        expect(targets).toEqual(TRANSFER.map((t) => t.target));

        // Injected markup is shown as text and never ran.
        expect(await page.locator("#best-instruction").textContent()).toBe(PAYLOADS.script);
        const cells = await page.locator("#validation-examples td").allTextContents();
        expect(cells).toContain(PAYLOADS.img);
        expect(cells).toContain(PAYLOADS.quotes);
        expect(cells).toContain(PAYLOADS.styleBreak);
        // The </style> break-out in the config did not hide the page.
        expect(await page.locator("#config-table").isVisible()).toBe(true);
        await expectInert(l);
      });
    },
  );

  it.skipIf(!haveChromium)(
    haveChromium
      ? "keeps a heatmap of many examples readable: it scrolls inside its box"
      : `SKIPPED: ${MISSING}`,
    async () => {
      const ledger = openLedger(":memory:");
      const id = ledger.createRun(makeConfig({ validationSize: 60 }));
      const examples = Array.from({ length: 60 }, (_, i) => ({
        input: `input ${i}`,
        answers: [`answer ${i}`],
      }));
      ledger.setExamples(id, "validation", examples);
      for (let i = 0; i < 30; i++) {
        const scores = examples.map((_, j) => ((i * 7 + j * 3) % 5) / 4);
        ledger.appendEvaluation(
          id,
          makeRecord(i, {
            instruction: `Instruction number ${i}: ${"write the opposite word ".repeat(8)}`,
            scores,
            outputs: scores.map(String),
            score: scores.reduce((a, b) => a + b, 0) / scores.length,
            reused: false,
          }),
        );
      }
      const html = renderHtmlReport(exportRun(ledger, id));
      ledger.close();
      await inChromium(html, async (l) => {
        const { page } = l;
        expect(await page.locator("#heatmap-table tbody tr").count()).toBe(10);
        expect(await page.locator("#heatmap-table thead th.col").count()).toBe(60);
        const sizes = await page.evaluate<{ scroll: number; client: number; page: number }>(
          `(() => { const d = document.querySelector(".heatmap-scroll"); return { scroll: d.scrollWidth, client: d.clientWidth, page: document.documentElement.scrollWidth }; })()`,
        );
        expect(sizes.scroll).toBeGreaterThan(sizes.client); // the table scrolls ...
        expect(sizes.page).toBeLessThanOrEqual(1200); // ... inside its box, not the page
        // the instruction column stays in view when the table is scrolled to the end
        await page.evaluate(`document.querySelector(".heatmap-scroll").scrollLeft = 100000`);
        const instr = await page.locator("#heatmap-table tbody th.instr").first().boundingBox();
        const container = await page.locator(".heatmap-scroll").boundingBox();
        expect(instr!.x).toBeGreaterThanOrEqual(container!.x - 1);
        expect(instr!.x).toBeLessThan(container!.x + 10);
        // cells are readable: at least 20 px wide
        const cell = await page.locator("#heatmap-table tbody td.cell").first().boundingBox();
        expect(cell!.width).toBeGreaterThanOrEqual(20);
        await expectInert(l);
      });
    },
  );

  it.skipIf(!haveChromium)(
    haveChromium
      ? "renders the sweep report: per-task tables, bars, win/tie/loss, no script, no request"
      : `SKIPPED: ${MISSING}`,
    async () => {
      const cells = makeSweepCells();
      const html = renderSweepHtml(cells, summarizeSweep(cells), { methods: [...SWEEP_METHODS] });
      await inChromium(html, async (l) => {
        const { page } = l;
        expect(await page.title()).toBe("instructzero sweep");
        expect(await page.locator("section.task h3").allTextContents()).toEqual(SWEEP_TASKS);
        expect(await page.locator("#sweep-task-0 tbody tr").count()).toBe(3);
        expect(await page.locator("#sweep-task-0 tbody tr:first-child td.mean").textContent()).toBe(
          "0.800 ± 0.058",
        );
        const bar = await page.locator("#sweep-task-0 tbody tr:first-child svg.interval-bar").boundingBox();
        expect(bar?.width).toBeGreaterThan(100);
        expect(await page.locator("#sweep-task-0 tbody tr:first-child td.wtl").first().textContent()).toBe(
          "3 / 0 / 0",
        );
        expect(await page.locator("#sweep-overall tbody tr").count()).toBe(3);
        expect(await page.locator("#sweep-overall").isVisible()).toBe(true);
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1200);
        await expectInert(l);
      });
    },
  );
});
