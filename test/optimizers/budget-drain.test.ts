/**
 * A run stopped by a limit waits for the attempts still under way before it ends (RunBudget.drain), so
 * that every request sent is settled in the spend log: none stays `pending` (issue 21 item 6).
 */
import { describe, expect, it } from "vitest";
import { BudgetExhausted, RunBudget, type SpendLog } from "../../src/optimizers/budget.js";

function memoryLog() {
  const rows = new Map<number, string>();
  let seq = 0;
  const log: SpendLog = {
    open: () => {
      rows.set(++seq, "pending");
      return seq;
    },
    close: (id, paid) => {
      if (paid) rows.set(id, "paid");
      else rows.delete(id);
    },
    abandon: (id) => rows.set(id, "abandoned"),
  };
  return { log, rows };
}

describe("RunBudget.drain", () => {
  it("resolves only once every admitted attempt is settled; the limit stops new ones meanwhile", async () => {
    const { log, rows } = memoryLog();
    const budget = new RunBudget({ maxCalls: 2 }, undefined, log);
    const a = await budget.admitAttempt(0, "target");
    const b = await budget.admitAttempt(0, "target");
    a.sent();
    b.sent();
    // a third waits for room, then the limit stops it
    const c = budget.admitAttempt(0, "target").catch((e: unknown) => e);
    let drained = false;
    const d = budget.drain().then(() => {
      drained = true;
    });
    a.answered({ inputTokens: 1, outputTokens: 1 }, 0);
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    expect([...rows.values()]).toEqual(["paid", "pending"]);
    b.answered({ inputTokens: 1, outputTokens: 1 }, 0);
    await d;
    expect([...rows.values()]).toEqual(["paid", "paid"]);
    expect(await c).toBeInstanceOf(BudgetExhausted);
  });

  it("resolves at once with nothing under way", async () => {
    await new RunBudget({}).drain();
  });
});
