import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlackBox, Completion, CompletionRequest, UsageTotals } from "../../src/blackbox/types.js";
import type { RunConfig, RunOptions } from "../../src/config/schema.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { makeRunConfig } from "../../src/optimizers/run.js";
import { seedFor } from "../../src/util/rng.js";
import { type FakeRequest, parseInstructionPrompt } from "../helpers/fake-openai.js";

/**
 * A small in-process run on `taskFile` against the "test:bb" black box: 20 evaluations (8 initial,
 * then batches of 6), 5 validation examples, the paper's selection rule (these tests are about the
 * search); `options` override any of these.
 */
export function smallRunConfig(taskFile: string, options: Partial<RunOptions> = {}): RunConfig {
  return makeRunConfig({
    task: taskFile,
    target: "test:bb",
    budget: 20,
    initialPoints: 8,
    batchSize: 6,
    validationSize: 5,
    selection: "validation",
    ...options,
  });
}

/** A temp dir holding a micro test generator and a small "reverse the word" task file. */
export function makeOptimizeFixture(): { dir: string; model: string; taskFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "iz-opt-"));
  const model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
  const taskFile = join(dir, "reverse.jsonl");
  const words = Array.from({ length: 30 }, (_, i) => `word${i}`);
  writeFileSync(
    taskFile,
    words.map((w) => JSON.stringify({ input: w, output: reverse(w) })).join("\n") + "\n",
  );
  return { dir, model, taskFile };
}

/** The task: reverse the characters. */
export function reverse(w: string): string {
  return [...w].reverse().join("");
}

/** Hash to [0, 1). */
function unit(label: string): number {
  return (seedFor(0, label) >>> 0) / 2 ** 32;
}

/**
 * A black box whose answers depend on the instruction it receives: each instruction has a quality
 * q = unit(instruction), and answers an input correctly (reversed) with probability q, decided by a hash
 * of (instruction, input) so the same query always gets the same answer. APE proposal prompts get a
 * proposal that depends on the demos in the prompt.
 */
export function instructionQualityAnswer(req: FakeRequest): string {
  if (req.prompt.startsWith("I gave a friend an instruction")) {
    return ` write the word backwards (variant ${Math.floor(unit(req.prompt) * 1000)}).\nMore text.`;
  }
  const parsed = parseInstructionPrompt(req.prompt);
  if (!parsed) return "?";
  const q = unit(`q:${parsed.instruction}`);
  return unit(`a:${parsed.instruction}:${parsed.input}`) < q ? reverse(parsed.input) : parsed.input;
}

/**
 * An in-process black box whose answers take `delay(prompt)` ms, recording calls and overlap. Answers
 * come from `options.answer` [instructionQualityAnswer]; `options.crashAt`: the n-th call throws.
 */
export function slowBlackBox(
  delay: (prompt: string) => number,
  options: { answer?: (prompt: string) => string; crashAt?: number[] } = {},
) {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0, prompts: [] as string[] };
  const crashes = new Set(options.crashAt ?? []);
  const bb: BlackBox = {
    id: "test:bb",
    async complete(request: CompletionRequest): Promise<Completion> {
      stats.calls++;
      if (crashes.delete(stats.calls)) throw new Error(`crash at call ${stats.calls}`);
      stats.prompts.push(request.prompt);
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      await new Promise((r) => setTimeout(r, delay(request.prompt)));
      stats.inFlight--;
      const text = options.answer
        ? options.answer(request.prompt)
        : instructionQualityAnswer({
            n: stats.calls,
            api: "openai",
            model: "m",
            prompt: request.prompt,
            body: {},
          });
      return { text, usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, cached: false };
    },
    totals(): UsageTotals {
      return {
        completions: stats.calls,
        requests: stats.calls,
        cacheHits: 0,
        retries: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      };
    },
    async close() {},
  };
  return { bb, stats };
}
