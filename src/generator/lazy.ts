/**
 * Entry points of the generator that load onnxruntime-node, the tokenizer and the ONNX schema only
 * when first called (importing them costs ~0.5-1 s), for the library index and the CLI.
 */
import type { GeneratorOptions, InstructionGenerator, PromptEmbedder } from "./generator.js";
import type { LocalModel, LocalModelOptions } from "./local-model.js";
import type { PreparedFiles, PrepareOptions } from "./prepare/prepare.js";
import type { BuildTestModelOptions, BuiltTestModel } from "./test-model/build.js";

/** {@link import("./generator.js").loadGenerator}, loaded on first use. */
export async function loadGenerator(
  source: string,
  options: GeneratorOptions,
): Promise<InstructionGenerator> {
  return (await import("./generator.js")).loadGenerator(source, options);
}

/** {@link import("./generator.js").loadPromptEmbedder}, loaded on first use. */
export async function loadPromptEmbedder(
  source: string,
  options: GeneratorOptions,
): Promise<PromptEmbedder & { close(): Promise<void> }> {
  return (await import("./generator.js")).loadPromptEmbedder(source, options);
}

/** {@link import("./local-model.js").openLocalModel}, loaded on first use. */
export async function openLocalModel(source: string, options?: LocalModelOptions): Promise<LocalModel> {
  return (await import("./local-model.js")).openLocalModel(source, options);
}

/** {@link import("./prepare/prepare.js").prepareDecoder}, loaded on first use. */
export async function prepareDecoder(sourceFile: string, options?: PrepareOptions): Promise<PreparedFiles> {
  return (await import("./prepare/prepare.js")).prepareDecoder(sourceFile, options);
}

/** {@link import("./test-model/build.js").buildTestModel} (synchronous there), loaded on first use. */
export async function buildTestModel(dir: string, options: BuildTestModelOptions): Promise<BuiltTestModel> {
  return (await import("./test-model/build.js")).buildTestModel(dir, options);
}
