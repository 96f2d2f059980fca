/** Generator backends, in order of preference: the first that accepts the options is used. */
import type { GeneratorBackend, GeneratorBackendOptions, SoftPromptGenerator } from "../backend.js";
import { onnxBackend } from "./onnx.js";
import { vllmBackend } from "./vllm.js";

/** Every backend; adding one is one module and one line here. */
export const GENERATOR_BACKENDS: readonly GeneratorBackend[] = [vllmBackend, onnxBackend];

/** The backend for `options` (vLLM when a server URL is set, else the local ONNX runtime). */
export function generatorBackendFor(options: GeneratorBackendOptions): GeneratorBackend {
  const b = GENERATOR_BACKENDS.find((x) => x.accepts(options));
  if (!b) throw new Error("no generator backend accepts these options");
  return b;
}

/** Open the generator described by `options` with its backend. */
export function openGenerator(options: GeneratorBackendOptions): Promise<SoftPromptGenerator> {
  return generatorBackendFor(options).open(options);
}
