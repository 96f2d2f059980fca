import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { type BuildTestModelOptions, buildTestModel } from "../../src/generator/test-model/build.js";

const dirs: string[] = [];

/** A fresh temp folder removed after the test file. */
export function tempDir(prefix = "iz-local-batch-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Build test models (several variants may share one folder) into a fresh temp folder. */
export function testModel(...variants: BuildTestModelOptions[]): string {
  const d = tempDir();
  for (const v of variants) buildTestModel(d, v);
  return d;
}

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Validation-style queries: `instructions` x `inputs`, interleaved like a scoring window. */
export function queries(instructions: string[], inputs: string[]): string[] {
  const out: string[] = [];
  for (const ins of instructions)
    for (const x of inputs) out.push(`Instruction: ${ins}\n\nInput: ${x}\n Output:`);
  return out;
}

export const INPUTS = [
  "cat",
  "elephant in the room",
  "a",
  "sunny day today",
  "xyz 123",
  "hello world again and again",
  "big",
  "hot",
  "the quick brown fox",
  "up",
];
