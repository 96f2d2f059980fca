/**
 * The shared rate limit on the SQLite store: processes of one machine using the same ledger file take
 * turns (BEGIN IMMEDIATE), so together they stay within the allowance of each window. The Postgres
 * store's limiter is tested in test/postgres (several connections) and in the distributed sweep.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { RATE_WINDOW_MS, rateWindowMs, StoreRateLimiter } from "../../src/store/rate-limit.js";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("StoreRateLimiter on SQLite", () => {
  it("reads its window from INSTRUCTZERO_RATE_WINDOW_MS", () => {
    expect(rateWindowMs({})).toBe(RATE_WINDOW_MS);
    expect(rateWindowMs({ INSTRUCTZERO_RATE_WINDOW_MS: "1500" })).toBe(1500);
    expect(rateWindowMs({ INSTRUCTZERO_RATE_WINDOW_MS: "nope" })).toBe(RATE_WINDOW_MS);
  });

  it("counts requests and tokens per key, waits for the oldest to leave the window", async () => {
    const ledger = openLedger(":memory:");
    const limiter = new StoreRateLimiter(ledger.driver, { rpm: 180, tpm: 6000 }, 1000); // 3 requests, 100 tokens
    expect(limiter.tryTake("a", 10)).toBe(0);
    expect(limiter.tryTake("a", 10)).toBe(0);
    expect(limiter.tryTake("a", 90)).toBeGreaterThan(0); // tokens: 20 + 90 > 100
    expect(limiter.tryTake("a", 10)).toBe(0);
    expect(limiter.tryTake("a", 10)).toBeGreaterThan(0); // requests: 3 in the window
    expect(limiter.tryTake("b", 10)).toBe(0);
    const t0 = performance.now();
    const ticket = await limiter.acquire("a", 10);
    ticket.sent();
    expect(performance.now() - t0).toBeGreaterThan(900);
    expect(limiter.tryTake("a", 10)).toBe(0);
    expect(limiter.tryTake("a", 10)).toBe(0); // the window is full again
    const controller = new AbortController();
    const waiting = limiter.acquire("a", 10, controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    ledger.close();
  });

  it("holds across processes sharing a ledger file", async () => {
    const LIMIT_JS = resolve("dist/store/rate-limit.js");
    const LEDGER_JS = resolve("dist/store/ledger.js");
    if (!existsSync(LIMIT_JS)) throw new Error(`${LIMIT_JS} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), "iz-rate-"));
    const file = join(dir, "runs.sqlite");
    openLedger(file).close();
    // each child takes 12 admissions as fast as the limit allows (6 per 500 ms window) and prints the times
    const child = `
import { openLedger } from ${JSON.stringify(pathToFileURL(LEDGER_JS).href)};
import { StoreRateLimiter } from ${JSON.stringify(pathToFileURL(LIMIT_JS).href)};
const ledger = openLedger(process.argv[1]);
const limiter = new StoreRateLimiter(ledger.driver, { rpm: 720 }, 500);
for (let i = 0; i < 12; i++) {
  const t = await limiter.acquire("openai:m", 1);
  t.sent();
  process.stdout.write(Date.now() + "\\n");
}
ledger.close();
`;
    const run = () =>
      new Promise<number[]>((done, fail) => {
        const c = spawn(process.execPath, ["--input-type=module", "-e", child, file], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        c.stdout.on("data", (d) => {
          out += d;
        });
        c.stderr.on("data", (d) => {
          err += d;
        });
        c.on("exit", (code) =>
          code === 0 ? done(out.trim().split("\n").map(Number)) : fail(new Error(err)),
        );
      });
    const times = (await Promise.all([run(), run(), run()])).flat().sort((a, b) => a - b);
    expect(times).toHaveLength(36);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 500) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(6);
    // 36 admissions at 6 per window (plus the guard) take at least 5 windows
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(5 * 500);
  });
});
