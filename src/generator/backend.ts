/**
 * The generator contract, declared once: every backend (local ONNX runtime, vLLM server) turns soft
 * prompts into instructions through this interface, and the optimisers see nothing else.
 */
import type { Demo } from "../tasks/types.js";

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
  /**
   * Stop strings: generation of an instruction ends where one appears (the text is cut before it).
   * Default {@link DEFAULT_GENERATOR_STOP}, or none when `rawInstructions` is true.
   */
  stop?: string[];
  /** The run keeps the generator's text as it is (the paper): no default stop strings. */
  rawInstructions?: boolean;
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

/**
 * Default stop strings of the generator: small chat models often follow the instruction with invented
 * "Input: ... / Output: ..." pairs, which the clean-up cuts anyway (src/optimizers/clean-instruction.ts);
 * stopping there saves their tokens.
 */
export const DEFAULT_GENERATOR_STOP: readonly string[] = Object.freeze(["\nInput:", "\nOutput:"]);

/** The stop strings for backend options: `stop` if given, else the default unless the run keeps raw text. */
export function generatorStop(o: Pick<GeneratorBackendOptions, "stop" | "rawInstructions">): string[] {
  if (o.stop) return [...o.stop];
  return o.rawInstructions ? [] : [...DEFAULT_GENERATOR_STOP];
}

/** The options of the local generator runtime for backend options (shared by the backends). */
export function localGeneratorOptions(o: GeneratorBackendOptions) {
  const stop = generatorStop(o);
  return {
    seed: o.seed,
    nTokens: o.nTokens,
    intrinsicDim: o.intrinsicDim,
    projection: o.projection,
    dtype: o.dtype,
    maxNewTokens: o.maxNewTokens,
    ...(stop.length > 0 ? { stop } : {}),
  };
}
