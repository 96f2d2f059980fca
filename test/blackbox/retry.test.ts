import { describe, expect, it } from "vitest";
import {
  DEFAULT_BACKOFF,
  parseRetryAfter,
  retryAfterFromHeaders,
  retryDelayMs,
} from "../../src/blackbox/retry.js";
import { Limiter } from "../../src/util/async/limiter.js";
import { Rng } from "../../src/util/rng.js";

describe("parseRetryAfter", () => {
  it("reads delta-seconds, including fractions", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(" 0.25 ")).toBe(250);
    expect(parseRetryAfter("0")).toBe(0);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0);
  });

  it("ignores absent and unparseable values", () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("")).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("-3")).toBeUndefined();
  });

  it("prefers retry-after-ms over retry-after", () => {
    const h = new Headers({ "retry-after-ms": "150", "retry-after": "9" });
    expect(retryAfterFromHeaders(h)).toBe(150);
    expect(retryAfterFromHeaders(new Headers({ "retry-after": "3" }))).toBe(3000);
    expect(retryAfterFromHeaders(new Headers())).toBeUndefined();
  });
});

describe("retryDelayMs", () => {
  it("draws full jitter under the capped exponential ceiling", () => {
    const rng = new Rng(1);
    const opts = { initialDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 60_000 };
    for (let retry = 0; retry < 8; retry++) {
      const ceiling = Math.min(1000, 100 * 2 ** retry);
      const draws = Array.from({ length: 200 }, () => retryDelayMs(retry, undefined, opts, rng));
      for (const d of draws) {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
      // full jitter spreads over the whole range, not a narrow band near the ceiling
      expect(Math.min(...draws)).toBeLessThan(ceiling * 0.2);
      expect(Math.max(...draws)).toBeGreaterThan(ceiling * 0.8);
    }
  });

  it("waits at least the server's Retry-After, within 10% (max 1 s) of jitter, capped by maxWaitMs", () => {
    const rng = new Rng(2);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(0, 2000, DEFAULT_BACKOFF, rng);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(2200);
    }
    expect(retryDelayMs(3, 600_000, DEFAULT_BACKOFF, rng)).toBe(DEFAULT_BACKOFF.maxWaitMs);
  });

  it("is reproducible from the seed", () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const seqA = [0, 1, 2, 3].map((r) => retryDelayMs(r, undefined, DEFAULT_BACKOFF, a));
    const seqB = [0, 1, 2, 3].map((r) => retryDelayMs(r, undefined, DEFAULT_BACKOFF, b));
    expect(seqA).toEqual(seqB);
  });
});

describe("Limiter", () => {
  it("never runs more than `limit` tasks and runs them all", async () => {
    const limiter = new Limiter(3);
    let running = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => release.push(r));
        running--;
        return i;
      }),
    );
    // let the first tasks start, then release one at a time
    for (let k = 0; k < 10; k++) {
      await new Promise((r) => setImmediate(r));
      expect(running).toBeLessThanOrEqual(3);
      release.shift()?.();
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    expect(limiter.running).toBe(0);
  });

  it("frees the slot when a task throws", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(await limiter.run(async () => 5)).toBe(5);
  });
});
