/**
 * The library's own way to open a local model (the full LocalModel, with its decoder), loading
 * onnxruntime-node first so a missing runtime is one clear error. Not part of the public API (its types
 * name onnxruntime's); the public entry is `openLocalModel` in ./lazy.ts.
 */
import type { LocalModel, LocalModelOptions } from "./local-model.js";
import { loadOrt } from "./ort.js";

export async function openLocalModelInternal(
  source: string,
  options?: LocalModelOptions,
): Promise<LocalModel> {
  await loadOrt("a local model");
  return (await import("./local-model.js")).openLocalModel(source, options);
}
