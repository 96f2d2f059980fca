/**
 * Concurrency above 10: every request under way listens on the black box's halt signal, the budget's
 * stop signal and the run's signal; Node must not warn of an EventTarget memory leak (it did at 11).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createFunctionBlackBox } from "../../src/blackbox/client.js";
import { manyListeners } from "../../src/util/async/signal.js";

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

afterEach(() => {
  process.off("warning", onWarning);
  warnings.length = 0;
});

describe("signals shared by many requests", () => {
  it("20 requests under way at once: no MaxListenersExceededWarning", async () => {
    process.on("warning", onWarning);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const bb = createFunctionBlackBox(
      async ({ input }) => {
        started++;
        await gate;
        return input;
      },
      { concurrency: 20, timeoutMs: 60_000, cache: false },
    );
    const calls = Array.from({ length: 20 }, (_, i) =>
      bb.complete({ prompt: `q${i}`, parts: { instruction: "i", input: `q${i}` } }),
    );
    for (let i = 0; i < 100 && started < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(started).toBe(20);
    release();
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.text)).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`));
    await bb.close?.();
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("a run's signal given to manyListeners takes any number of listeners", async () => {
    process.on("warning", onWarning);
    const signal = manyListeners(new AbortController().signal);
    for (let i = 0; i < 30; i++) signal.addEventListener("abort", () => {});
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});
