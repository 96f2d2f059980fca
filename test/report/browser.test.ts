/**
 * The HTML report in headless Chromium (Debian's /usr/bin/chromium through playwright-core): it
 * renders, the chart is drawn with one vertex per evaluation, injected scripts do not run and the
 * page attempts no network request. Without Chromium the test fails under CI=true and is skipped
 * (with a message) elsewhere.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { exportRun } from "../../src/report/export.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { openLedger } from "../../src/store/ledger.js";
import { makeInjectedRun, N_EVALS, PAYLOADS } from "./fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";
const MISSING = `headless Chromium report test: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`;

if (!haveChromium && !inCi) console.warn(`SKIPPED ${MISSING}`);

describe("HTML report in headless Chromium", () => {
  it.runIf(!haveChromium && inCi)("needs Chromium under CI", () => {
    throw new Error(`${MISSING}; CI must provide it (.ci/run installs it)`);
  });

  it.skipIf(!haveChromium)(
    haveChromium
      ? "renders the chart, runs no injected script and makes no network request"
      : `SKIPPED: ${MISSING}`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "iz-browser-"));
      const ledger = openLedger(":memory:");
      const exp = exportRun(ledger, makeInjectedRun(ledger));
      ledger.close();
      const file = join(dir, "report.html");
      writeFileSync(file, renderHtmlReport(exp));
      const pageUrl = pathToFileURL(file).href;

      const context = await chromium.launchPersistentContext(join(dir, "profile"), {
        executablePath: CHROMIUM,
        headless: true,
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
      try {
        const requests: string[] = [];
        const consoleErrors: string[] = [];
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
        const pageErrors: string[] = [];
        page.on("pageerror", (err) => pageErrors.push(err.message));
        await page.goto(pageUrl, { waitUntil: "load" });

        // It renders: the title (escaped text), headings and a laid-out body.
        expect(await page.title()).toBe(`instructzero · antonyms ${PAYLOADS.titleBreak} · ${exp.run.id}`);
        expect(await page.locator("h1").textContent()).toBe(`Run ${exp.run.id}`);
        expect(await page.locator("h2").count()).toBeGreaterThanOrEqual(7);
        expect(await page.evaluate<number>("document.body.scrollHeight")).toBeGreaterThan(800);
        expect(await page.locator("body").isVisible()).toBe(true);

        // The chart: an SVG with one polyline vertex and one point per evaluation, laid out.
        const chart = page.locator("svg.chart");
        expect(await chart.count()).toBe(1);
        const box = await chart.boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        expect(box?.height).toBeGreaterThan(150);
        const nPoints = await page.evaluate<number>(
          `(document.querySelector("svg.chart polyline.best-so-far")?.points.numberOfItems ?? -1)`,
        );
        expect(nPoints).toBe(N_EVALS);
        expect(await page.locator("svg.chart circle.eval-point").count()).toBe(N_EVALS);

        // Injected markup is shown as text and never ran.
        expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
        expect(await page.evaluate<number>("document.scripts.length")).toBe(0);
        expect(await page.evaluate<number>("document.images.length")).toBe(0);
        expect(await page.locator("#best-instruction").textContent()).toBe(PAYLOADS.script);
        const cells = await page.locator("#validation-examples td").allTextContents();
        expect(cells).toContain(PAYLOADS.img);
        expect(cells).toContain(PAYLOADS.quotes);
        expect(cells).toContain(PAYLOADS.styleBreak);
        // The </style> break-out in the config did not hide the page.
        expect(await page.locator("#config-table").isVisible()).toBe(true);

        // No network request, no blocked load, no error.
        expect(requests).toEqual([]);
        expect(consoleErrors).toEqual([]);
        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
