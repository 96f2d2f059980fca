/**
 * The shared rate limit on the SQLite store: processes of one machine using the same ledger file take
 * turns (BEGIN IMMEDIATE), so together they stay within the allowance of each window. The limiter's
 * behaviours on both backends are in ./conformance/cache.test.ts; Postgres also in the distributed sweep.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { RATE_WINDOW_MS, rateWindowMs } from "../../src/store/rate-limit.js";

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
