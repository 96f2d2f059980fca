/**
 * One black box: a provider declares its Batch API (`Provider.batch`) and its cancel command in its own
 * module; the black box batches its requests with no provider name anywhere else. Also: one error root,
 * and the price file resolved once per process.
 */
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  asBatchBlackBox,
  BatchRequestError,
  cancelCommand,
  createBatchBlackBox,
} from "../../src/blackbox/batch/batch-black-box.js";
import { memoryBatchStore } from "../../src/blackbox/batch/memory-store.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import { AuthenticationError, BlackBoxError } from "../../src/blackbox/errors.js";
import { estimateCost, priceFileTable, resolvePrices } from "../../src/blackbox/pricing.js";
import { registerProvider } from "../../src/blackbox/registry.js";
import type { BatchApi, BatchLine, BatchState, LineResult } from "../../src/blackbox/types.js";
import { BudgetExhausted } from "../../src/optimizers/budget.js";
import { InstructZeroError, UserError } from "../../src/util/errors.js";

/** An in-memory batch API: every batch ends at the first poll; prompts containing "bad" fail permanently. */
function toyBatchApi() {
  const batches = new Map<string, BatchLine[]>();
  const calls: string[] = [];
  const state = (n: number): BatchState => ({ status: "done", ended: true, done: n, failed: 0, total: n });
  const api: BatchApi = {
    provider: "toybatch",
    async create({ lines }) {
      calls.push("create");
      const id = `b${batches.size + 1}`;
      batches.set(id, lines ?? []);
      return {
        id,
        state: { status: "running", ended: false, done: 0, failed: 0, total: lines?.length ?? 0 },
      };
    },
    async retrieve(id) {
      calls.push("retrieve");
      return state(batches.get(id)?.length ?? 0);
    },
    async results(id): Promise<LineResult[]> {
      calls.push("results");
      return (batches.get(id) ?? []).map((l) =>
        l.request.prompt.includes("bad")
          ? { customId: l.customId, ok: false, error: "invalid", kind: "permanent" }
          : {
              customId: l.customId,
              ok: true,
              response: { text: l.request.prompt.toUpperCase(), usage: { inputTokens: 10, outputTokens: 2 } },
            },
      );
    },
    async cancel() {
      calls.push("cancel");
    },
  };
  return { api, calls, batches };
}

const toy = toyBatchApi();
let sentAlone = 0;
registerProvider(
  "toybatch",
  (model) => ({
    provider: "toybatch",
    model,
    async complete(request) {
      sentAlone++;
      return { text: request.prompt, usage: { inputTokens: 1, outputTokens: 1 } };
    },
    batch: { maxRequests: 3, api: () => toy.api },
  }),
  { cancelBatchCommand: (id, base) => `toy cancel ${id} at ${base ?? "home"}` },
);

describe("a provider's Batch API is a capability declared in its module", () => {
  it("batches the requests of a provider that declares one, at the batch price, split at its size limit", async () => {
    const store = memoryBatchStore();
    const prices = { "toybatch:m": { input: 1, output: 1 } };
    const bb = createBatchBlackBox("toybatch:m", {
      cache: false,
      store,
      prices,
      batchPollMs: 1,
      idleMs: 1,
    });
    expect(asBatchBlackBox(bb)).toBe(bb);
    expect(bb.priceFactor).toBe(0.5);
    const out = await Promise.all(["a", "b", "c", "d", "a"].map((p) => bb.complete({ prompt: p })));
    expect(out.map((c) => c.text)).toEqual(["A", "B", "C", "D", "A"]);
    expect(sentAlone).toBe(0);
    // 4 distinct requests, at most 3 a batch: 2 batches, recorded and collected
    expect(store.records().map((r) => r.status)).toEqual(["collected", "collected"]);
    const paid = out.filter((c) => !c.cached);
    expect(paid).toHaveLength(4);
    const listed = estimateCost("toybatch:m", { inputTokens: 10, outputTokens: 2 }, prices).costUsd;
    for (const c of paid) expect(c.costUsd).toBeCloseTo(listed * 0.5, 15);
    expect(bb.totals()).toMatchObject({ completions: 5, requests: 4, cacheHits: 1 });
    await expect(bb.complete({ prompt: "bad one" })).rejects.toThrow(BatchRequestError);
    expect(bb.activeBatches()).toEqual([]);
    await bb.close();
    expect(cancelCommand("toybatch", "b1", "http://x")).toBe("toy cancel b1 at http://x");
  });

  it("the same provider without batch mode sends one at a time; a provider without a Batch API is refused by name", async () => {
    const plain = createBlackBox("toybatch:m", { cache: false });
    expect(asBatchBlackBox(plain)).toBeUndefined();
    await plain.complete({ prompt: "x" });
    expect(sentAlone).toBe(1);
    await plain.close();
    registerProvider("nobatch", (model) => ({
      provider: "nobatch",
      model,
      complete: async () => ({ text: "", usage: { inputTokens: 0, outputTokens: 0 } }),
    }));
    expect(() => createBatchBlackBox("nobatch:m", { cache: false })).toThrow(UserError);
    expect(() => createBatchBlackBox("nobatch:m", { cache: false })).toThrow(
      /openai:, anthropic: and toybatch: targets.*nobatch:m has none/,
    );
  });
});

describe("one error root", () => {
  it("puts the package's errors under InstructZeroError, keeping their classes and names", () => {
    for (const e of [
      new UserError("u"),
      new BlackBoxError("b"),
      new AuthenticationError("a"),
      new BatchRequestError("r"),
      new BudgetExhausted("x"),
    ]) {
      expect(e).toBeInstanceOf(InstructZeroError);
      expect(e).toBeInstanceOf(Error);
    }
    expect(new AuthenticationError("a")).toBeInstanceOf(BlackBoxError);
    expect(new AuthenticationError("a").name).toBe("AuthenticationError");
    expect(new UserError("u")).not.toBeInstanceOf(BlackBoxError);
  });
});

describe("prices resolved once per process", () => {
  it("reads and validates an INSTRUCTZERO_PRICES file once, again only when it changes; errors every time", () => {
    const dir = mkdtempSync(join(tmpdir(), "iz-price-memo-"));
    const file = join(dir, "prices.json");
    writeFileSync(file, JSON.stringify({ "m-a": { input: 1, output: 2 } }));
    const first = priceFileTable(file);
    expect(priceFileTable(file)).toBe(first); // the same table: not read again
    expect(resolvePrices(undefined, { INSTRUCTZERO_PRICES: file })).toEqual({
      "m-a": { input: 1, output: 2 },
    });
    writeFileSync(file, JSON.stringify({ "m-a": { input: 3, output: 4 }, "m-b": { input: 0, output: 0 } }));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(priceFileTable(file)).toEqual({ "m-a": { input: 3, output: 4 }, "m-b": { input: 0, output: 0 } });
    writeFileSync(file, "{ nope");
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect(() => priceFileTable(file)).toThrow(UserError);
    expect(() => priceFileTable(file)).toThrow(/prices\.json/);
  });
});
