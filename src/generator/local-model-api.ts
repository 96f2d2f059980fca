/**
 * The public view of a local model opened for text completion (see ./local-model.ts): what the library
 * exports, without onnxruntime-node's types, so a consumer that does not install the optional runtime
 * still type-checks the package's declarations.
 */

/** Options of {@link openLocalModel}. */
export interface LocalModelOptions {
  /**
   * ONNX variant (fp32, fp16, q8, q4 ...); default fp32. "auto": q8 (onnx/model_quantized.onnx) when
   * the folder or hub repository has it, else fp32 (the local black box's default).
   */
  dtype?: string;
  /** Hub revision for hf: sources. */
  revision?: string;
  /** ORT intra-op threads (0/undefined: ORT default, one per core). */
  threads?: number;
  /** Hub download progress callback (a bar on a TTY otherwise). */
  onProgress?: (p: { file: string; bytes: number; total?: number }) => void;
}

/** Options of one generation. */
export interface GenerateTextOptions {
  /** Max new tokens (default 128). */
  maxNewTokens?: number;
  /** Stop strings: generation ends when the text contains one; the text is cut before it. */
  stop?: string[];
  /** Ignore EOS (benchmarks that need an exact number of tokens). */
  ignoreEos?: boolean;
}

/** Output of one generated row. */
export interface GeneratedText {
  text: string;
  ids: number[];
}

/** Result of {@link LocalModel.complete}. */
export interface TextCompletion {
  text: string;
  promptTokens: number;
  newTokens: number;
  ms: number;
}

/** A local instruct model opened for chat completion ({@link openLocalModel} in ./lazy.ts). */
export interface LocalModelHandle {
  /** The ONNX variant opened. */
  readonly dtype: string;
  /** Hidden size of the embeddings. */
  readonly hidden: number;
  /** Chat completion: messages (or one user prompt) in, greedy text out. */
  complete(
    prompt: string | { role: string; content: string }[],
    options?: GenerateTextOptions & { system?: string },
  ): Promise<TextCompletion>;
  /** Release the runtime sessions (idempotent). */
  close(): Promise<void>;
}
