/**
 * Deterministic local batches: with batch groups (evaluation queries carry `batchGroup`), a quantised
 * local model's answers depend only on the requests, whatever the arrival order, timing and concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlackBox } from "../../src/blackbox/client.js";
import type { BlackBox, CompletionRequest } from "../../src/blackbox/types.js";
import { evaluateInstruction } from "../../src/evaluation/evaluate.js";
import { makeRunConfig } from "../../src/optimizers/run.js";
import { RunSession } from "../../src/session/run-session.js";
import { Rng } from "../../src/util/rng.js";
import { INPUTS, queries, tempDir, testModel } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = testModel({ preset: "micro", seed: 5 }, { preset: "micro", seed: 5, linears: "q8" });
});

const open: BlackBox[] = [];
afterAll(async () => {
  for (const bb of open) await bb.close();
});
function blackBox(dtype: string, concurrency?: number, extra: Record<string, unknown> = {}): BlackBox {
  const bb = createBlackBox(`local:${dir}`, {
    concurrency,
    cache: false,
    maxTokens: 6,
    providerOptions: { dtype, batchSize: 8, ...extra },
  });
  open.push(bb);
  return bb;
}

/** Three groups (one instruction each, 10 inputs), as three evaluations would send them. */
const GROUPS = ["answer with one word", "write the opposite", "say it backwards"].map((ins, g) =>
  queries([ins], INPUTS).map(
    (prompt, index): CompletionRequest => ({
      prompt,
      batchGroup: { id: `g${g}`, size: INPUTS.length, index },
    }),
  ),
);

/** Send every group's requests in a seeded random interleaving, with seeded pauses; answers by prompt. */
async function send(bb: BlackBox, seed: number): Promise<Map<string, string>> {
  const rng = new Rng(seed);
  const all = GROUPS.flat();
  const order = all.map((r) => ({ r, key: rng.uniform() })).sort((a, b) => a.key - b.key);
  const pending: Promise<[string, string]>[] = [];
  for (const { r } of order) {
    if (rng.uniform() < 0.2) await new Promise((res) => setTimeout(res, Math.floor(rng.uniform() * 8)));
    pending.push(bb.complete(r).then((c) => [r.prompt, c.text]));
  }
  return new Map(await Promise.all(pending));
}

describe("deterministic local batches", () => {
  it("q8: the same answers whatever the arrival order, timing and concurrency (batch groups on by default)", async () => {
    // every request can be in the provider at once (a concurrency of at least the 30 requests)
    const a = await send(blackBox("q8", 30), 1);
    const b = await send(blackBox("q8", 1000), 2);
    const c = await send(blackBox("q8", 30), 3);
    expect(a.size).toBe(30);
    for (const [prompt, text] of a) {
      expect(b.get(prompt)).toBe(text);
      expect(c.get(prompt)).toBe(text);
    }
    // without groups the batches mix the groups, and some q8 answers change (10 of 30 on this model)
    const mixed = await send(blackBox("q8", 30, { groupBatches: false }), 1);
    expect([...a].filter(([p, t]) => mixed.get(p) !== t).length).toBeGreaterThan(0);
    // the reference: each group decoded alone, one batch per chunk of 8 in index order
    const alone = blackBox("q8", 1000);
    for (const group of GROUPS) {
      const texts = await Promise.all(group.map((r) => alone.complete(r)));
      expect(texts.map((t) => t.text)).toEqual(group.map((r) => a.get(r.prompt)));
    }
  });

  it("evaluateInstruction sends its queries as one group: two concurrent runs score alike", async () => {
    const examples = INPUTS.map((input) => ({ input, answers: [input] }));
    const run = async (concurrency: number) => {
      const bb = blackBox("q8", concurrency);
      const evs = await Promise.all(
        ["answer with one word", "write the opposite", "say it backwards"].map((ins) =>
          evaluateInstruction(bb, ins, examples, { metric: "em" }),
        ),
      );
      return evs.map((e) => e.examples.map((x) => x.output));
    };
    // three evaluations at once through the black box's limit: the default (20) and one below the batch
    // size (chunks of 7 then)
    const first = await run(20);
    expect(await run(20)).toEqual(first);
    const seven = await run(7);
    expect(await run(7)).toEqual(seven);
  });

  it("fp32 keeps batching by arrival (its answers do not depend on the batch); groupBatches turns groups on", async () => {
    const fp = blackBox("fp32", 30);
    await Promise.all(GROUPS.flat().map((r) => fp.complete(r)));
    const sizes = (fp as unknown as { provider: { scheduler: { batchSizes: number[] } } }).provider.scheduler
      .batchSizes;
    expect(Math.max(...sizes)).toBe(8); // groups mixed: full batches of 8
    const grouped = blackBox("fp32", 30, { groupBatches: true });
    await Promise.all(GROUPS.flat().map((r) => grouped.complete(r)));
    const gs = (grouped as unknown as { provider: { scheduler: { batchSizes: number[] } } }).provider
      .scheduler.batchSizes;
    expect([...gs].sort()).toEqual([2, 2, 2, 8, 8, 8]); // each group of 10: chunks of 8 and 2
  });

  it.each([true, false])(
    "same seed, same scores: two q8 runs (generator and local: black box, pipelined %s: candidates scored in pairs) record identical answers",
    async (pipelined) => {
      const { writeFileSync } = await import("node:fs");
      const task = `${tempDir()}/t.jsonl`;
      const lines = Array.from({ length: 60 }, (_, i) =>
        JSON.stringify({ input: `w${i} x${i % 7}`, output: `v${i}` }),
      );
      writeFileSync(task, `${lines.join("\n")}\n`);
      const run = async () => {
        const config = makeRunConfig({
          task,
          target: `local:${dir}`,
          generator: dir,
          generatorDtype: "q8",
          budget: 6,
          initialPoints: 3,
          batchSize: 3,
          validationSize: 10,
          instructionTokens: 6,
          maxTokens: 3,
          pipelined,
          cache: false,
        });
        const session = await RunSession.open({ config, store: false });
        try {
          const out = await session.run();
          expect(out.status).toBe("completed");
          return {
            evaluations: out.evaluations.map((e) => ({ instruction: e.instruction, outputs: e.outputs })),
            // the selection race's rounds go out as batch groups of several candidates
            selection: out.selection?.candidates.map((c) => c.scores),
            test: out.test?.score,
          };
        } finally {
          await session.close();
        }
      };
      const first = await run();
      expect(first.evaluations).toHaveLength(6);
      expect(first.selection?.length).toBeGreaterThan(1);
      expect(await run()).toEqual(first);
    },
    120_000,
  );
});
