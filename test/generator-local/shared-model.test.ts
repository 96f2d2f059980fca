/**
 * Models opened on the same graph file share one ORT decoder (the generator and a local black box of the
 * default command): same outputs, released with the last user.
 */
import { describe, expect, it } from "vitest";
import { createPromptEmbedder } from "../../src/generator/generator.js";
import { openDecoderUsers, openLocalModel } from "../../src/generator/local-model.js";
import { makeRunConfig } from "../../src/optimizers/run.js";
import { RunSession } from "../../src/session/run-session.js";
import { INPUTS, queries, tempDir, testModel } from "./helpers.js";

describe("shared local decoders", () => {
  it("two models on one folder share the decoder, answer as before, and release it with the last", async () => {
    const dir = testModel({ preset: "micro", seed: 3 }, { preset: "micro", seed: 3, linears: "q8" });
    const reqs = queries(["answer", "reverse it"], INPUTS).map((prompt) => ({ prompt, maxNewTokens: 6 }));
    const alone = await openLocalModel(dir);
    const want = (await alone.completeBatch(reqs)).map((r) => r.text);
    const e = await createPromptEmbedder(alone, { seed: 0 });
    const zs = [0, 1, 2, 3].map((i) => Array.from({ length: 10 }, (_, k) => Math.cos(i * 7 + k)));
    const demos = INPUTS.slice(0, 3).map((input) => ({ input, output: input }));
    const { x, P } = await e.embedBatch(zs, demos);
    const wantGen = (await alone.generateFromEmbeddings(x, 4, P, { maxNewTokens: 12 })).map((r) => r.text);
    await alone.close();
    expect(openDecoderUsers().size).toBe(0);

    const a = await openLocalModel(dir);
    const b = await openLocalModel(dir);
    const q8 = await openLocalModel(dir, { dtype: "q8" });
    expect(a.decoder).toBe(b.decoder);
    expect(q8.decoder).not.toBe(a.decoder);
    expect([...openDecoderUsers().values()].sort()).toEqual([1, 2]);
    // used at the same time, as the pipelined generator and the black box do
    const [gen, got] = await Promise.all([
      a.generateFromEmbeddings(x, 4, P, { maxNewTokens: 12 }),
      b.completeBatch(reqs),
    ]);
    expect(gen.map((r) => r.text)).toEqual(wantGen);
    expect(got.map((r) => r.text)).toEqual(want);
    await a.close();
    await a.close(); // idempotent: b keeps its user
    expect((await b.completeBatch(reqs.slice(0, 3))).map((r) => r.text)).toEqual(want.slice(0, 3));
    await b.close();
    await q8.close();
    expect(openDecoderUsers().size).toBe(0);
  });

  it("a run with the same model as generator and local: black box opens it once", async () => {
    const dir = testModel({ preset: "micro", seed: 4 });
    const task = `${tempDir()}/t.jsonl`;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      task,
      `${Array.from({ length: 40 }, (_, i) => JSON.stringify({ input: `w${i}`, output: `v${i}` })).join("\n")}\n`,
    );
    const config = makeRunConfig({
      task,
      target: `local:${dir}`,
      generator: dir,
      budget: 2,
      initialPoints: 2,
      validationSize: 4,
      instructionTokens: 6,
      maxTokens: 3,
      cache: false,
      test: false,
      baselines: [],
      selection: "validation",
    });
    const users: number[][] = [];
    const session = await RunSession.open({
      config,
      store: false,
      onProgress: () => users.push([...openDecoderUsers().values()]),
    });
    const out = await session.run();
    await session.close();
    expect(out.status).toBe("completed");
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) expect(u).toEqual([2]);
    expect(openDecoderUsers().size).toBe(0);
  });
});
