/**
 * The generator contract, declared once: every backend (local ONNX runtime, vLLM server) turns soft
 * prompts into instructions through this interface, and the optimisers see nothing else.
 */
import type { Demo } from "./prompt.js";

/** One generated instruction. */
export interface GeneratedInstruction {
  text: string;
  /** Prompt length in positions (soft tokens + text tokens). */
  promptTokens: number;
  /** Generated tokens (EOS excluded; -1 when the backend does not say). */
  newTokens: number;
  /** Wall time of its batch divided by the batch size (amortised ms per instruction). */
  ms: number;
}

/** Turns soft prompts into instructions. */
export interface SoftPromptGenerator {
  /**
   * One instruction per soft prompt z, in order. Deterministic for a given z, seed and chunk. The
   * backends return {@link GeneratedInstruction}s; the optimiser reads only `text`.
   */
  generate(zs: number[][], demos: Demo[]): Promise<{ text: string }[]>;
  /** Release the model (idempotent). */
  close(): Promise<void>;
}

/** Settings every backend receives (from the run configuration). */
export interface GeneratorBackendOptions {
  /** Model folder or hf:org/name[@revision]. */
  source: string;
  seed: number;
  nTokens: number;
  intrinsicDim: number;
  projection: "uniform" | "normal";
  /** ONNX variant (fp32, fp16, q8, q4). */
  dtype: string;
  /** Max new tokens per instruction. */
  maxNewTokens: number;
  /** vLLM server and model, when decoding runs there. */
  vllmUrl?: string;
  vllmModel?: string;
  env?: NodeJS.ProcessEnv;
}

/** A generator backend: one module plus one line in ./backends/index.ts. */
export interface GeneratorBackend {
  readonly name: string;
  readonly description: string;
  /** True when the options ask for this backend (the first backend that accepts them is used). */
  accepts(options: GeneratorBackendOptions): boolean;
  open(options: GeneratorBackendOptions): Promise<SoftPromptGenerator>;
}

/** The options of the local generator runtime for backend options (shared by the backends). */
export function localGeneratorOptions(o: GeneratorBackendOptions) {
  return {
    seed: o.seed,
    nTokens: o.nTokens,
    intrinsicDim: o.intrinsicDim,
    projection: o.projection,
    dtype: o.dtype,
    maxNewTokens: o.maxNewTokens,
  };
}
