/**
 * The response cache and the rate limiter on every store backend (./backends.ts), and one connection
 * per store per process: the ledger and the black boxes' caches in the same store share it.
 * SQLite-only behaviours (damaged files, permissions) are in test/blackbox/cache*.test.ts.
 */
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResponseCache } from "../../../src/blackbox/cache.js";
import { openConnections } from "../../../src/db/open.js";
import { openLedger } from "../../../src/store/ledger.js";
import { StoreRateLimiter } from "../../../src/store/rate-limit.js";
import { storeBackends } from "./backends.js";

const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

describe.each(storeBackends())("response cache and rate limiter on $name", (backend) => {
  // one cluster (or folder) per file: started once for both groups
  beforeAll(() => backend.start());
  afterAll(() => backend.stop());

  describe("response cache", () => {
    it("stores text and usage, replaces an answer, keeps them for every later opener (committed on return)", async () => {
      const fresh = await backend.fresh("cache");
      // a file is created with its folders
      const location =
        backend.name === "sqlite" ? join(dirname(fresh), "nested", "deeper", "responses.sqlite") : fresh;
      const a = new ResponseCache(location);
      expect(a.path).not.toContain("s3cret-pw");
      a.put("k1", { provider: "openai", model: "m" }, { text: "hello", usage: usage(3, 1) });
      expect(a.get("k1")).toEqual({ text: "hello", usage: usage(3, 1) });
      expect(a.get("k2")).toBeUndefined();
      a.put("k1", { provider: "openai", model: "m" }, { text: "hello again", usage: usage(4, 2) });
      const b = new ResponseCache(location);
      expect(b.get("k1")).toEqual({ text: "hello again", usage: usage(4, 2) });
      expect(b.get("k2")).toBeUndefined();
      expect(b.size()).toBe(1);
      a.close();
      b.close();
      const c = new ResponseCache(location);
      expect(c.get("k1")?.text).toBe("hello again");
      expect(c.size()).toBe(1);
      c.close();
    });

    it("gives back keys and text holding NUL characters exactly as stored", async () => {
      const cache = new ResponseCache(await backend.fresh("cache-nul"));
      const odd = "a\u0000b \uE000 c\uE0000\u0000";
      cache.put(odd, { provider: "p", model: "m" }, { text: odd, usage: usage(1, 1) });
      expect(cache.get(odd)?.text).toBe(odd);
      cache.close();
    });

    it("lives in the ledger's database when the ledger is on a server; the ledger, caches and limiter share one connection", async () => {
      const location = await backend.fresh("shared");
      const before = openConnections();
      const ledger = openLedger(location);
      const shared = ledger.sharedCacheLocation();
      if (backend.name === "postgres") expect(shared).toBe(location);
      else expect(shared).toBeUndefined();
      // target, proposer and judge black boxes each open the cache
      const caches = [0, 1, 2].map(() => new ResponseCache(shared ?? location));
      caches[0].put("k", { provider: "p", model: "m" }, { text: "t", usage: usage(1, 1) });
      expect(caches[2].get("k")?.text).toBe("t");
      expect(openConnections() - before).toBe(1);
      ledger.close();
      expect(caches[1].get("k")?.text).toBe("t"); // still open for the caches
      for (const c of caches) c.close();
      expect(openConnections()).toBe(before);
    });
  });

  describe("rate limiter", () => {
    it("counts requests and tokens per key, waits for the oldest to leave the window", async () => {
      const ledger = openLedger(await backend.fresh("rate-one"));
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
      // the two other requests of the full window leave it a few ms after the first (how many depends on
      // how fast the takes above ran): each take succeeds once the wait it names has passed
      const takeSoon = async () => {
        let wait = limiter.tryTake("a", 10);
        for (let i = 0; i < 3 && wait > 0; i++) {
          expect(wait).toBeLessThan(1000);
          await new Promise((r) => setTimeout(r, wait));
          wait = limiter.tryTake("a", 10);
        }
        return wait;
      };
      expect(await takeSoon()).toBe(0);
      expect(await takeSoon()).toBe(0); // the window is full again
      const controller = new AbortController();
      const waiting = limiter.acquire("a", 10, controller.signal);
      controller.abort(new Error("stop"));
      await expect(waiting).rejects.toThrow("stop");
      ledger.close();
    });

    it("admits at most the window's allowance across connections, then waits for the oldest to leave", async () => {
      const location = await backend.fresh("rate");
      const a = openLedger(location, { ownConnection: true });
      const b = openLedger(location, { ownConnection: true });
      // 120 per minute in a 1 s window: 2 per second
      const la = new StoreRateLimiter(a.driver, { rpm: 120 }, 1000);
      const lb = new StoreRateLimiter(b.driver, { rpm: 120 }, 1000);
      expect(la.tryTake("openai:m", 10)).toBe(0);
      expect(lb.tryTake("openai:m", 10)).toBe(0);
      const wait = la.tryTake("openai:m", 10);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(1000 + la.guardMs + 1); // the oldest leaves the window (and its guard)
      expect(lb.tryTake("other:model", 10)).toBe(0); // keys are apart
      const t0 = performance.now();
      await lb.acquire("openai:m", 10);
      expect(performance.now() - t0).toBeGreaterThan(wait - 50);
      expect(la.inWindow("openai:m")).toBeLessThanOrEqual(2);
      // tokens: a request larger than the allowance goes alone
      const lt = new StoreRateLimiter(a.driver, { tpm: 600 }, 1000); // 10 tokens per window
      expect(lt.tryTake("tok", 8)).toBe(0);
      expect(lt.tryTake("tok", 8)).toBeGreaterThan(0);
      a.close();
      b.close();
    });
  });
});
