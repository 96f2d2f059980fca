/**
 * Random-weight test models for the local benchmarks (bench:local, bench:zero-config), built once into a
 * folder and reused: a marker file per variant says the build finished.
 */
import fs from "node:fs";
import path from "node:path";
import { buildTestModel, type TestPreset } from "../src/generator/test-model/build.js";

/**
 * Build `preset` in `dtype` into `dir` unless an earlier build finished there; returns the seconds spent
 * building (0 when reused). The qwen05 marker name is the one bench:local has always used.
 */
export function ensureTestModel(dir: string, preset: TestPreset, dtype: "fp32" | "q8"): number {
  const marker = path.join(
    dir,
    preset === "qwen05" ? `.bench-built-v1-${dtype}` : `.bench-built-${preset}-${dtype}`,
  );
  if (fs.existsSync(marker)) return 0;
  const t0 = performance.now();
  withLoopTypedArrayFrom(() => buildTestModel(dir, { preset, seed: 0, linears: dtype }));
  fs.writeFileSync(marker, "");
  return (performance.now() - t0) / 1000;
}

/**
 * Int8Array.from(typedArray, fn) collects the source into a JS array first, which fails beyond ~134M
 * elements (the q8 build of the 151,936 x 896 table). Loop instead while building.
 */
function withLoopTypedArrayFrom<T>(f: () => T): T {
  const orig = Int8Array.from as (src: ArrayLike<number>, fn?: (v: number, i: number) => number) => Int8Array;
  const patched = function (this: unknown, src: ArrayLike<number>, fn?: (v: number, i: number) => number) {
    if (ArrayBuffer.isView(src) && fn) {
      const out = new Int8Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = fn(src[i], i);
      return out;
    }
    return orig.call(Int8Array, src, fn);
  };
  (Int8Array as unknown as { from: unknown }).from = patched;
  try {
    return f();
  } finally {
    (Int8Array as unknown as { from: unknown }).from = orig;
  }
}
