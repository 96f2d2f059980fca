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
