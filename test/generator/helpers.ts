import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { type BuildTestModelOptions, buildTestModel } from "../../src/generator/test-model/build.js";

const dirs: string[] = [];

/** A fresh temp folder removed after the test file. */
export function tempDir(prefix = "iz-gen-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Build a test model into a fresh temp folder; returns the folder. */
export function testModel(options: BuildTestModelOptions): string {
  const d = tempDir();
  buildTestModel(d, options);
  return d;
}

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Max |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
