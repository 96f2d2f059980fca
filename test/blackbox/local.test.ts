import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLocalProvider } from "../../src/blackbox/providers/local.js";
import { openLocalModel } from "../../src/generator/local-model.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { UserError } from "../../src/util/errors.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iz-local-"));
buildTestModel(dir, { preset: "micro", seed: 21 });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const signal = new AbortController().signal;

describe("local: provider", () => {
  it("answers through the Provider interface with the runtime's greedy completion and token usage", async () => {
    const p = await createLocalProvider(dir, { maxTokens: 9 });
    const ref = await openLocalModel(dir);
    try {
      expect(p.provider).toBe("local");
      expect(p.model).toBe(dir);
      const r = await p.complete(
        { prompt: "Instruction: reverse the word.\n\nInput: cat\nOutput:" },
        { signal },
      );
      const want = await ref.complete("Instruction: reverse the word.\n\nInput: cat\nOutput:", {
        maxNewTokens: 9,
      });
      expect(r.text).toBe(want.text);
      expect(r.usage).toEqual({ inputTokens: want.promptTokens, outputTokens: 9 });
      // request fields: maxTokens, system, stop
      const short = await p.complete({ prompt: "Hi", maxTokens: 3 }, { signal });
      expect(short.usage.outputTokens).toBe(3);
      const sys = await p.complete(
        {
          prompt: "Hi",
          maxTokens: 3,
          system: "Answer with the output only, in one short line of text, and nothing else.",
        },
        { signal },
      );
      expect(sys.usage.inputTokens).toBeGreaterThan(short.usage.inputTokens);
      const full = await p.complete({ prompt: "Hi", maxTokens: 9 }, { signal });
      const stop = full.text.slice(2, 4);
      const cut = await p.complete({ prompt: "Hi", maxTokens: 9, stop: [stop] }, { signal });
      expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(stop)).trim());
      // concurrent calls are serialised and give the same answers as sequential ones
      const many = await Promise.all(
        [1, 2, 3].map(() => p.complete({ prompt: "Hi", maxTokens: 9 }, { signal })),
      );
      for (const m of many) expect(m.text).toBe(full.text);
    } finally {
      await p.close?.();
      await ref.close();
    }
  });

  it("reads settings from providerOptions, honours an aborted signal, rejects bad models", async () => {
    const p = await createLocalProvider(dir, {
      maxTokens: 20,
      providerOptions: { maxTokens: 2, threads: 1 },
    });
    try {
      expect((await p.complete({ prompt: "Hi" }, { signal })).usage.outputTokens).toBe(2);
      const ac = new AbortController();
      ac.abort();
      await expect(p.complete({ prompt: "Hi" }, { signal: ac.signal })).rejects.toThrow();
    } finally {
      await p.close?.();
    }
    await expect(createLocalProvider(" ")).rejects.toThrow(UserError);
    await expect(createLocalProvider(path.join(dir, "nope"))).rejects.toThrow(UserError);
  });
});
