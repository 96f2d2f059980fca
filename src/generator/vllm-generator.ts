/**
 * The scale-out generator: soft-prompt embeddings are built locally (tokenizer, chat template and
 * embedding table of the model folder), and decoding runs on a vLLM server started with
 * `--enable-prompt-embeds` serving the same model. Same interface as the ONNX generator.
 *
 * The embedding table is read straight from the model files (the decoder graph's initializer, or a
 * safetensors checkpoint; see ./model-folder.ts), so this path does not need onnxruntime-node. A
 * table stored in a way that reader does not know is embedded through the ONNX runtime instead when
 * it is installed.
 */
import { seedFor } from "../util/rng.js";
import type { SoftPromptGenerator } from "./backend.js";
import { ChatFormat } from "./chat.js";
import { embeddingStd, type GeneratorOptions, PromptEmbedder } from "./generator.js";
import { resolveModelSource } from "./hub/index.js";
import {
  hasSafetensors,
  readEmbeddingTable,
  readModelFolder,
  UnsupportedEmbeddingTable,
} from "./model-folder.js";
import { loadOrt } from "./ort.js";
import { makeProjection } from "./projection.js";
import { createVllmEmbedsClient, type VllmEmbedsOptions } from "./vllm.js";

/** Options of {@link loadVllmGenerator}. */
export interface VllmGeneratorOptions extends GeneratorOptions {
  /** The vLLM server (its OpenAI-compatible base URL) and the served model name. */
  vllm: VllmEmbedsOptions;
}

/**
 * The prompt embedder of `source` over its embedding table read without onnxruntime: the same
 * chat format and projection as {@link import("./generator.js").createPromptEmbedder}, and the same
 * embeddings as the ONNX embedding graph. Falls back to the ONNX runtime (when installed) for a
 * table this reader does not support.
 */
export async function loadTablePromptEmbedder(
  source: string,
  options: GeneratorOptions,
): Promise<PromptEmbedder & { close(): Promise<void> }> {
  // "auto" picks the fastest variant for local decoding; here only the embedding table is read, for a
  // server that decodes with the model's own weights: the exact (fp32) table
  const dtype = options.dtype === "auto" ? "fp32" : options.dtype;
  const dir = await resolveModelSource(source, {
    revision: options.revision,
    dtype,
    onProgress: options.onProgress,
  });
  const folder = readModelFolder(dir, { dtype, requireDecoder: !hasSafetensors(dir) });
  let table: ReturnType<typeof readEmbeddingTable>;
  try {
    table = readEmbeddingTable(folder);
  } catch (err) {
    if (!(err instanceof UnsupportedEmbeddingTable)) throw err;
    await loadOrt(`this model's embedding table (${err.message})`);
    const { loadPromptEmbedder } = await import("./generator.js");
    return loadPromptEmbedder(source, { ...options, dtype });
  }
  const chat = new ChatFormat(folder);
  const embed = async (ids: readonly number[]) => table.lookup(ids);
  // as createPromptEmbedder does for an opened local model
  const nTokens = options.nTokens ?? 5;
  const dim = options.intrinsicDim ?? 10;
  const kind = options.projection ?? "uniform";
  const H = table.hidden;
  let embStd: number | undefined;
  if (kind === "normal") {
    const v = folder.config.vocab_size;
    const vocab = typeof v === "number" ? v : chat.tokenizer.get_vocab(true).size;
    embStd = await embeddingStd(embed, vocab);
  }
  const A = makeProjection(kind, dim, nTokens * H, seedFor(options.seed, `projection:${kind}`), embStd);
  return Object.assign(new PromptEmbedder(chat, embed, H, nTokens, A), { close: async () => {} });
}

/** Open the local embedder of `source` and a client of the vLLM server. */
export async function loadVllmGenerator(
  source: string,
  options: VllmGeneratorOptions,
): Promise<SoftPromptGenerator> {
  const embedder = await loadTablePromptEmbedder(source, options);
  const client = createVllmEmbedsClient(options.vllm);
  const maxTokens = options.maxNewTokens ?? 128;
  return {
    async generate(zs, demos) {
      const t0 = performance.now();
      // Embeddings one by one (one local session), then all requests at once (the client limits concurrency).
      const prompts: Float32Array[] = [];
      for (const z of zs) prompts.push(await embedder.embedPrompt(z, demos));
      const texts = await Promise.all(
        prompts.map((e) =>
          client.complete(e, e.length / embedder.hidden, embedder.hidden, { maxTokens, stop: options.stop }),
        ),
      );
      const ms = (performance.now() - t0) / Math.max(1, zs.length);
      return texts.map((text, i) => ({
        text,
        promptTokens: prompts[i].length / embedder.hidden,
        newTokens: -1,
        ms,
      }));
    },
    close: () => embedder.close(),
  };
}
