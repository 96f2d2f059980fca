/**
 * Shared by the dashboard's tests: a store written by real runs of the CLI against the fake OpenAI
 * server (some answers hostile markup), and headless Chromium with every request that leaves the
 * dashboard's origin recorded and aborted.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { FakeRequest } from "../../fixtures/fake-openai.js";
import { parseInstructionPrompt } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer } from "../../fixtures/optimize.js";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
export const inCi = process.env.CI === "true";
export const MISSING = `headless Chromium dashboard test: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`;

/** Markup a hostile model writes: it must show as text and never run. */
export const HOSTILE = {
  img: `<img src=x onerror="window.__pwned=1">`,
  script: `<script>window.__pwned=2</script>`,
};

/** The optimiser fixture's answers, wrapped in hostile markup for inputs ending in an odd digit. */
export function hostileAnswer(req: FakeRequest): string {
  const a = instructionQualityAnswer(req);
  const parsed = parseInstructionPrompt(req.prompt);
  if (parsed && /[13579]$/.test(parsed.input)) return `${HOSTILE.img}${a}${HOSTILE.script}`;
  return a;
}

/** The CLI's `optimize` arguments of a small run of the optimiser fixture. */
export function optimizeArgs(
  fx: { taskFile: string; model: string },
  o: { baseUrl: string; ledger: string; budget: number; seed: number },
): string[] {
  return [
    "optimize",
    ...["--task", fx.taskFile, "--target", "openai:fake", "--base-url", o.baseUrl],
    ...["--generator", fx.model, "--budget", String(o.budget), "--initial-points", "4", "--batch-size", "2"],
    ...["--validation-size", "5", "--seed", String(o.seed), "--no-cache", "--ledger", o.ledger, "--json"],
  ];
}

/** What a page did. */
export interface Browsing {
  page: Page;
  /** Requests that left the dashboard's origin (aborted). */
  outside: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

/** Open headless Chromium allowing only `origin` (everything else recorded and aborted), run `fn`. */
export async function inChromium(origin: string, fn: (b: Browsing) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "iz-ui-browser-"));
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
    const outside: string[] = [];
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await fn({ page, outside, consoleErrors, pageErrors });
  } finally {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
