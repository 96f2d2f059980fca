/**
 * The scale-out generator: soft-prompt embeddings are built locally (tokenizer, chat template and
 * embedding table of the model folder), and decoding runs on a vLLM server started with
 * `--enable-prompt-embeds` serving the same model. Same interface as the ONNX generator.
 */
import type { SoftPromptGenerator } from "./backend.js";
import { type GeneratorOptions, loadPromptEmbedder } from "./generator.js";
import { createVllmEmbedsClient, type VllmEmbedsOptions } from "./vllm.js";

/** Options of {@link loadVllmGenerator}. */
export interface VllmGeneratorOptions extends GeneratorOptions {
  /** The vLLM server (its OpenAI-compatible base URL) and the served model name. */
  vllm: VllmEmbedsOptions;
}

/** Open the local embedder of `source` and a client of the vLLM server. */
export async function loadVllmGenerator(
  source: string,
  options: VllmGeneratorOptions,
): Promise<SoftPromptGenerator> {
  const embedder = await loadPromptEmbedder(source, options);
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
