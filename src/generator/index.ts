/// <reference types="node" preserve="true" />
/**
 * "instructzero/generator": the soft-prompt instruction generator (local ONNX or vLLM backends), the
 * local model, model preparation, the random projection, the induction prompt and the test model.
 */
export type {
  GeneratedInstruction,
  GeneratorBackend,
  GeneratorBackendOptions,
  SoftPromptGenerator,
} from "./backend.js";
export { GENERATOR_BACKENDS, generatorBackendFor, openGenerator } from "./backends/index.js";
export type { GeneratorOptions, InstructionGenerator, PromptEmbedder } from "./generator.js";
export { buildTestModel, loadGenerator, loadPromptEmbedder, openLocalModel, prepareDecoder } from "./lazy.js";
export type {
  LocalModelHandle as LocalModel,
  LocalModelHandle,
  LocalModelOptions,
  TextCompletion,
} from "./local-model-api.js";
export type { PreparedFiles, PrepareOptions } from "./prepare/prepare.js";
export { makeProjection, type Projection, type ProjectionKind, project } from "./projection.js";
export type { BuildTestModelOptions, TestPreset } from "./test-model/build.js";
