/**
 * Every attempt goes through the caller's budget (`options.attempts`): admitted and logged before it is
 * sent, then settled as the provider's answer (its reported usage), unbilled (an error answer), or
 * abandoned (timeout, lost connection: possibly billed). Checked against the counting server, and with a
 * RunBudget and its spend log: a timed-out attempt stays counted at its worst case, and once the settled
 * total is over the cap nothing more is admitted.
 */
import { type AddressInfo, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import { estimateCost } from "../../src/blackbox/pricing.js";
import type { AttemptGate, BlackBox, Usage } from "../../src/blackbox/types.js";
import { BudgetExhausted, BudgetedBlackBox, RunBudget, type SpendLog } from "../../src/optimizers/budget.js";
import type { SpendEntry } from "../../src/store/ledger.js";

const servers: FakeOpenAI[] = [];
const boxes: BlackBox[] = [];
afterEach(async () => {
  await Promise.all(boxes.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(
  options: FakeOpenAIOptions,
  timeoutMs = 1500,
): Promise<{ server: FakeOpenAI; bb: BlackBox }> {
  const server = await startFakeOpenAI(options);
  servers.push(server);
  const bb = createBlackBox("openai:gpt-4o-mini", {
    baseURL: server.url,
    cache: false,
    env: {},
    timeoutMs,
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 20,
  });
  boxes.push(bb);
  return { server, bb };
}

/** A gate recording how each attempt it admitted ended. */
function recordingGate() {
  const ends: string[] = [];
  const usages: Usage[] = [];
  let sent = 0;
  const gate: AttemptGate = {
    admit: async () => ({
      sent: () => {
        sent++;
      },
      answered: (usage) => {
        ends.push("answered");
        usages.push(usage);
      },
      unbilled: () => ends.push("unbilled"),
      abandoned: () => ends.push("abandoned"),
    }),
  };
  return { gate, ends, usages, sent: () => sent };
}

/** A spend log in memory, by state. */
function memoryLog() {
  const rows = new Map<number, { state: string; worst: number; paid?: SpendEntry }>();
  let next = 0;
  const log: SpendLog = {
    open: (e) => {
      rows.set(++next, { state: "pending", worst: e.worstCostUsd });
      return next;
    },
    close: (id, paid) => {
      if (paid === null) rows.delete(id);
      else rows.set(id, { ...(rows.get(id) as { worst: number }), state: "paid", paid });
    },
    abandon: (id) => {
      const r = rows.get(id);
      if (r && r.state === "pending") r.state = "abandoned";
    },
  };
  return { log, rows };
}

const prompt = "Instruction: give the antonym\n\nInput: hot\n\nOutput:";

describe("every attempt is admitted and settled", () => {
  it("a timeout is abandoned (possibly billed), an error answer unbilled, the answer settled at its usage", async () => {
    const { server, bb } = await setup({ faults: { 1: "slow", 2: "500" }, slowMs: 2500 });
    const rec = recordingGate();
    const r = await bb.complete({ prompt }, { attempts: rec.gate });
    expect(r.text).toBe("cold");
    expect(rec.ends).toEqual(["abandoned", "unbilled", "answered"]);
    expect(rec.sent()).toBe(3);
    expect(rec.usages[0]).toEqual(r.usage);
    expect(bb.totals()).toMatchObject({ requests: 3, retries: 2, abandoned: 1 });
    // the server still processes (and bills) the abandoned one
    for (let i = 0; i < 200 && !server.requests[0].billed; i++)
      await new Promise((res) => setTimeout(res, 50));
    expect(server.requests[0].billed).toBeDefined();
  }, 30_000);

  it("a connection reset after sending is abandoned; a refused connection is not billed", async () => {
    const { bb } = await setup({ faults: { 1: "reset" } });
    const rec = recordingGate();
    await bb.complete({ prompt }, { attempts: rec.gate });
    expect(rec.ends).toEqual(["abandoned", "answered"]);
    // a port nothing listens on: the connection is refused before anything is sent
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, "127.0.0.1", () => res()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((res) => probe.close(res));
    const refused = createBlackBox("openai:gpt-4o-mini", {
      baseURL: `http://127.0.0.1:${port}/v1`,
      cache: false,
      env: {},
      maxRetries: 1,
      retryInitialDelayMs: 1,
      retryMaxDelayMs: 1,
    });
    boxes.push(refused);
    const rec2 = recordingGate();
    await expect(refused.complete({ prompt }, { attempts: rec2.gate })).rejects.toThrow();
    // not retried (issue 21: retrying cannot reach a closed port), and never billed
    expect(rec2.ends).toEqual(["unbilled"]);
  });

  it("through a RunBudget: a timed-out attempt stays in the spend log at its worst case, the answer at its usage", async () => {
    const { bb } = await setup({ faults: { 1: "slow" }, slowMs: 2500 });
    const { log, rows } = memoryLog();
    const budget = new RunBudget({ maxCost: 1 }, undefined, log);
    const budgeted = new BudgetedBlackBox(bb, budget);
    const worst = budgeted.worstCase({ prompt });
    const r = await budgeted.complete({ prompt });
    const states = [...rows.values()].map((x) => x.state);
    expect(states).toEqual(["abandoned", "paid"]);
    expect([...rows.values()][0].worst).toBeCloseTo(worst, 15);
    expect(budget.spent().calls).toBe(2);
    expect(budget.spent().costUsd).toBeCloseTo(worst + r.costUsd, 15);
  }, 30_000);

  it("answers billed beyond max tokens: settled at the reported usage; once over the cap nothing more is admitted", async () => {
    const { server, bb } = await setup({ faults: { 1: "overlong" }, overlongTokens: 5000 });
    const { log } = memoryLog();
    const request = { prompt, maxTokens: 8 };
    const worst = estimateCost("openai:gpt-4o-mini", {
      inputTokens: Buffer.byteLength(prompt) + 16,
      outputTokens: 8,
    }).costUsd;
    const budget = new RunBudget({ maxCost: worst * 3 }, undefined, log);
    const budgeted = new BudgetedBlackBox(bb, budget);
    const r = await budgeted.complete(request);
    expect(r.usage.outputTokens).toBe(5000);
    expect(budget.spent().costUsd).toBeCloseTo(r.costUsd, 15);
    expect(r.costUsd).toBeGreaterThan(worst * 3); // over the cap
    // the next request is refused at once, naming the true figure
    await expect(budgeted.complete({ ...request, prompt: `${prompt} ` })).rejects.toBeInstanceOf(
      BudgetExhausted,
    );
    expect(server.requests).toHaveLength(1);
    // later worst cases are scaled by the overrun seen
    expect(budgeted.worstCase(request)).toBeGreaterThan(worst * 100);
    expect(budget.finalReason("--max-cost reached")).toMatch(
      /spent in all \(1 paid calls\), \$\S+ over the cap/,
    );
  });
});
