/**
 * The async tool kit (src/util/async): sleep with an AbortSignal (reject or resolve on abort), retry with
 * a policy (attempt counts, which errors are retried, backoff fed Retry-After, give-up hook, abortable
 * waits), the backoffs (seeded jitter, linear steps) and the limiter. Injected sleeps and fake timers:
 * no timing assertions.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_BACKOFF,
  exponentialBackoff,
  Limiter,
  linearBackoff,
  type RetryInfo,
  retry,
  sleep,
} from "../../src/util/async/index.js";
import { Rng } from "../../src/util/rng.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("sleep", () => {
  it("resolves after its time (fake timers)", async () => {
    vi.useFakeTimers();
    let done = false;
    const p = sleep(1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
  });

  it("rejects with the signal's reason when aborted (default), at once when aborted already", async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const p = sleep(60_000, c.signal);
    c.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    await expect(sleep(10, c.signal)).rejects.toThrow("stop");
  });

  it('resolves early on abort with onAbort "resolve"', async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const p = sleep(60_000, c.signal, "resolve");
    c.abort();
    await expect(p).resolves.toBeUndefined();
    await expect(sleep(10, c.signal, "resolve")).resolves.toBeUndefined();
  });
});

describe("retry", () => {
  class Flaky extends Error {
    constructor(readonly retryAfterMs?: number) {
      super("flaky");
    }
  }
  const noSleep = async () => {};

  it("retries retryable failures up to maxAttempts, then throws the last one; the waits come from the backoff", async () => {
    const waits: number[] = [];
    const infos: RetryInfo[] = [];
    let calls = 0;
    const err = retry(
      async () => {
        calls++;
        throw new Flaky();
      },
      {
        maxAttempts: 4,
        retryable: (e) => e instanceof Flaky,
        backoff: linearBackoff(100),
        sleep: async (ms) => void waits.push(ms),
        onRetry: (i) => infos.push(i),
      },
    );
    await expect(err).rejects.toThrow("flaky");
    expect(calls).toBe(4);
    expect(waits).toEqual([100, 200, 300]);
    expect(infos.map((i) => i.attempt)).toEqual([0, 1, 2]);
  });

  it("returns the first success, with the attempt number passed to fn", async () => {
    const seen: number[] = [];
    const out = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 2) throw new Flaky();
        return "ok";
      },
      { maxAttempts: 5, retryable: () => true, backoff: () => 0, sleep: noSleep },
    );
    expect(out).toBe("ok");
    expect(seen).toEqual([0, 1, 2]);
  });

  it("throws a failure the policy does not retry at once; onGiveUp only after more than one attempt", async () => {
    const gaveUp: number[] = [];
    let calls = 0;
    const policy = {
      maxAttempts: 5,
      retryable: (e: unknown) => e instanceof Flaky,
      backoff: () => 0,
      sleep: noSleep,
      onGiveUp: (_e: unknown, n: number) => gaveUp.push(n),
    };
    await expect(
      retry(async () => {
        calls++;
        throw new TypeError("bad");
      }, policy),
    ).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
    expect(gaveUp).toEqual([]);
    await expect(
      retry(async (a) => {
        throw a === 0 ? new Flaky() : new TypeError("bad");
      }, policy),
    ).rejects.toThrow(TypeError);
    expect(gaveUp).toEqual([2]);
  });

  it("feeds the error's Retry-After to the backoff", async () => {
    const waits: number[] = [];
    const hints: (number | undefined)[] = [];
    await expect(
      retry(
        async (a) => {
          throw new Flaky(a === 0 ? 2000 : undefined);
        },
        {
          maxAttempts: 3,
          retryable: () => true,
          retryAfter: (e) => (e as Flaky).retryAfterMs,
          backoff: (retryN, hint) => {
            hints.push(hint);
            return hint ?? retryN;
          },
          sleep: async (ms) => void waits.push(ms),
        },
      ),
    ).rejects.toThrow();
    expect(hints).toEqual([2000, undefined]);
    expect(waits).toEqual([2000, 1]);
  });

  it("an aborted signal ends the wait between attempts (the real sleep rejects)", async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    let calls = 0;
    const p = retry(
      async () => {
        calls++;
        throw new Flaky();
      },
      { maxAttempts: 10, retryable: () => true, backoff: () => 60_000, signal: c.signal },
    );
    const settled = expect(p).rejects.toThrow("interrupted");
    await vi.advanceTimersByTimeAsync(10);
    c.abort(new Error("interrupted"));
    await settled;
    expect(calls).toBe(1);
  });
});

describe("backoff", () => {
  it("exponential: full jitter under the capped ceiling, the same waits for the same seed, Retry-After honoured", () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 60_000 };
    const a = exponentialBackoff(opts, new Rng(7));
    const b = exponentialBackoff(opts, new Rng(7));
    for (let r = 0; r < 6; r++) {
      const d = a(r, undefined);
      expect(d).toBe(b(r, undefined));
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** r));
    }
    const hinted = exponentialBackoff(DEFAULT_BACKOFF, new Rng(1))(0, 2000);
    expect(hinted).toBeGreaterThanOrEqual(2000);
    expect(hinted).toBeLessThanOrEqual(2200);
    expect(exponentialBackoff({ ...DEFAULT_BACKOFF, maxWaitMs: 500 }, new Rng(1))(0, 2000)).toBe(500);
  });

  it("linear: k steps before retry k", () => {
    const l = linearBackoff(250);
    expect([0, 1, 2].map((r) => l(r, 9999))).toEqual([250, 500, 750]);
  });
});

describe("Limiter", () => {
  it("lets at most `limit` tasks run at once, the others in FIFO order", async () => {
    const lim = new Limiter(2);
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) =>
      lim.run(
        () =>
          new Promise<void>((resolve) => {
            order.push(name);
            gates.set(name, resolve);
          }),
      );
    const all = ["a", "b", "c", "d"].map(task);
    await Promise.resolve();
    expect(order).toEqual(["a", "b"]);
    expect(lim.running).toBe(2);
    expect(lim.waiting).toBe(2);
    gates.get("b")?.();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["a", "b", "c"]);
    gates.get("a")?.();
    await new Promise((r) => setImmediate(r));
    gates.get("c")?.();
    await new Promise((r) => setImmediate(r));
    gates.get("d")?.();
    await Promise.all(all);
    expect(order).toEqual(["a", "b", "c", "d"]);
    expect(lim.running).toBe(0);
    expect(() => new Limiter(0)).toThrow(RangeError);
  });
});
