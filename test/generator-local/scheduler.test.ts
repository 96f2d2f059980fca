import { describe, expect, it } from "vitest";
import { BatchScheduler, type ScheduledJob } from "../../src/generator/batch-scheduler.js";

/** A scheduler whose batches answer input * 10 after `ms`, recording what each batch held. */
function echo(maxBatch: number, ms = 5, keepOnAbort?: (r: unknown) => boolean) {
  const batches: number[][] = [];
  const s = new BatchScheduler<number, number>(
    async (jobs: ScheduledJob<number, number>[]) => {
      batches.push(jobs.map((j) => j.input));
      await new Promise((r) => setTimeout(r, ms));
      for (const j of jobs) j.resolve(j.input * 10);
    },
    { maxBatch, maxWaitMs: 5, keepOnAbort },
  );
  return { s, batches };
}

describe("dynamic batching", () => {
  it("collects what is queued up to the batch size and runs one batch at a time", async () => {
    const { s, batches } = echo(8);
    const out = await Promise.all(Array.from({ length: 19 }, (_, i) => s.submit(i)));
    expect(out).toEqual(Array.from({ length: 19 }, (_, i) => i * 10));
    expect(batches.map((b) => b.length)).toEqual([8, 8, 3]);
    expect(s.batchSizes).toEqual([8, 8, 3]);
    // a late arrival waits for the running batch, then forms the next one
    const first = s.submit(100);
    await new Promise((r) => setTimeout(r, 7));
    const late = s.submit(200);
    expect(await Promise.all([first, late])).toEqual([1000, 2000]);
    expect(batches.slice(3)).toEqual([[100], [200]]);
  });

  it("drops a request whose signal aborts while queued, keeps the reasons it is told to keep", async () => {
    const keep = (r: unknown) => r === "timer";
    const { s, batches } = echo(2, 20, keep);
    const a = s.submit(1);
    const b = s.submit(2);
    await new Promise((r) => setTimeout(r, 8)); // batch [1, 2] is running
    const ac = new AbortController();
    const dropped = s.submit(3, ac.signal);
    const timer = new AbortController();
    const kept = s.submit(4, timer.signal);
    timer.abort("timer");
    ac.abort(new Error("gone"));
    await expect(dropped).rejects.toThrow("gone");
    expect(await Promise.all([a, b, kept])).toEqual([10, 20, 40]);
    expect(batches).toEqual([[1, 2], [4]]);
    const pre = new AbortController();
    pre.abort(new Error("before"));
    await expect(s.submit(5, pre.signal)).rejects.toThrow("before");
    expect(batches).toHaveLength(2);
  });

  it("rejects the jobs of a batch whose runner throws or forgets them", async () => {
    const s = new BatchScheduler<number, number>(async (jobs) => {
      if (jobs[0].input === 0) throw new Error("boom");
      jobs[0].resolve(1);
    });
    await expect(s.submit(0)).rejects.toThrow("boom");
    const [x, y] = await Promise.allSettled([s.submit(1), s.submit(2)]);
    expect(x).toEqual({ status: "fulfilled", value: 1 });
    expect(y.status).toBe("rejected");
    await s.idle();
    expect(() => new BatchScheduler(async () => {}, { maxBatch: 0 })).toThrow(RangeError);
  });
});

describe("batch groups (deterministic batches)", () => {
  /** A scheduler recording each batch's inputs; answers input * 10 after `ms`. */
  function grouped(maxBatch: number, options: { stallAt?: number; groupWaitMs?: number } = {}) {
    const batches: string[][] = [];
    const s = new BatchScheduler<string, string>(
      async (jobs) => {
        batches.push(jobs.map((j) => j.input));
        await new Promise((r) => setTimeout(r, 3));
        for (const j of jobs) j.resolve(`${j.input}!`);
      },
      { maxBatch, maxWaitMs: 5, ...options },
    );
    return { s, batches };
  }
  const submitGroup = (s: BatchScheduler<string, string>, id: string, size: number, order: number[]) =>
    order.map((i) => s.submit(`${id}${i}`, undefined, { id, size, index: i }));

  it("runs each group as batches of its own, in index order, whatever the arrival order and timing", async () => {
    const runs: string[][][] = [];
    for (const spread of [0, 1, 2]) {
      const { s, batches } = grouped(4);
      const all: Promise<string>[] = [];
      // groups a (6 requests: chunks 0-3 and 4-5) and b (3), members interleaved differently per run,
      // some arriving late, plus requests without a group
      const plan: [string, number, number][] =
        spread === 0
          ? [..."aaaaaabbb"].map((g, k) => [g, g === "a" ? k : k - 6, 0])
          : [
              ["b", 2, 0],
              ["a", 5, 0],
              ["a", 1, spread * 4],
              ["b", 0, 0],
              ["a", 0, spread * 9],
              ["a", 4, 0],
              ["a", 3, spread * 2],
              ["b", 1, spread * 12],
              ["a", 2, 0],
            ];
      for (const [g, i, delay] of plan) {
        if (delay) await new Promise((r) => setTimeout(r, delay));
        all.push(...submitGroup(s, g, g === "a" ? 6 : 3, [i]));
      }
      all.push(s.submit("x"));
      const out = await Promise.all(all);
      expect(out.every((o) => o.endsWith("!"))).toBe(true);
      runs.push(batches.map((b) => [...b]).sort((p, q) => p[0].localeCompare(q[0])));
    }
    expect(runs[0]).toEqual([["a0", "a1", "a2", "a3"], ["a4", "a5"], ["b0", "b1", "b2"], ["x"]]);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it("runs an incomplete group with what it has when no request comes, or when the caller's limit is full", async () => {
    // members 1 and 3 never come (answered from a cache): the chunk runs after groupWaitMs
    const quiet = grouped(8, { groupWaitMs: 20 });
    const got = await Promise.all(submitGroup(quiet.s, "g", 4, [2, 0]));
    expect(got).toEqual(["g2!", "g0!"]);
    expect(quiet.batches).toEqual([["g0", "g2"]]);
    // two groups of 3 interleaved behind a limit of 4: neither can complete, the oldest runs at once
    // (no waiting for groupWaitMs); the other completes once a slot frees
    const full = grouped(8, { stallAt: 4, groupWaitMs: 60_000 });
    const a = submitGroup(full.s, "a", 3, [0, 1]);
    const b = submitGroup(full.s, "b", 3, [0, 1]);
    await Promise.all(a);
    b.push(...submitGroup(full.s, "b", 3, [2]));
    await Promise.all(b);
    expect(full.batches).toEqual([
      ["a0", "a1"],
      ["b0", "b1", "b2"],
    ]);
  });

  it("rejects a malformed group", async () => {
    const { s } = grouped(4);
    await expect(s.submit("z", undefined, { id: "g", size: 2, index: 2 })).rejects.toThrow(
      /batch group g: expected 0 <= index < size/,
    );
  });
});
