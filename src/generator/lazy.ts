/**
 * Entry points of the generator that load onnxruntime-node, the tokenizer and the ONNX schema only
 * when first called (importing them costs ~0.5-1 s), for the library index and the CLI. The entry
 * points that run a local model first load onnxruntime-node through ./ort.ts (an optional peer
 * dependency), so a missing runtime is one UserError saying what to install.
 */
import type { GeneratorOptions, InstructionGenerator, PromptEmbedder } from "./generator.js";
import type { LocalModelHandle, LocalModelOptions } from "./local-model-api.js";
import { loadOrt } from "./ort.js";
import type { PreparedFiles, PrepareOptions } from "./prepare/prepare.js";
import type { BuildTestModelOptions, BuiltTestModel } from "./test-model/build.js";

/** {@link import("./generator.js").loadGenerator}, loaded on first use. */
export async function loadGenerator(
  source: string,
  options: GeneratorOptions,
): Promise<InstructionGenerator> {
  return (await import("./generator.js")).loadGenerator(source, options);
}

/**
 * {@link import("./generator.js").loadPromptEmbedder}, loaded on first use (needs onnxruntime-node;
 * {@link import("./vllm-generator.js").loadTablePromptEmbedder} does not).
 */
export async function loadPromptEmbedder(
  source: string,
  options: GeneratorOptions,
): Promise<PromptEmbedder & { close(): Promise<void> }> {
  return (await import("./generator.js")).loadPromptEmbedder(source, options);
}

/** `openLocalModel` of ./local-model.ts, loaded on first use (needs onnxruntime-node). */
export async function openLocalModel(source: string, options?: LocalModelOptions): Promise<LocalModelHandle> {
  await loadOrt("a local model");
  return (await import("./local-model.js")).openLocalModel(source, options);
}

/** {@link import("./prepare/prepare.js").prepareDecoder}, loaded on first use (needs onnxruntime-node). */
export async function prepareDecoder(sourceFile: string, options?: PrepareOptions): Promise<PreparedFiles> {
  await loadOrt("preparing a decoder graph");
  return (await import("./prepare/prepare.js")).prepareDecoder(sourceFile, options);
}

/** {@link import("./test-model/build.js").buildTestModel} (synchronous there), loaded on first use. */
export async function buildTestModel(dir: string, options: BuildTestModelOptions): Promise<BuiltTestModel> {
  return (await import("./test-model/build.js")).buildTestModel(dir, options);
}
