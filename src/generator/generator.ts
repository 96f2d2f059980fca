/**
 * The InstructZero instruction generator: soft prompt z (intrinsicDim numbers) -> random projection
 * A -> nTokens embedding vectors, prepended to the embedded chat-templated induction prompt, then
 * greedy decoding on the local model. Many soft prompts run as one batch (all prompts have the
 * same length, so no padding). Same z + seed + model -> same instruction.
 *
 *   prompt embeddings (per z): [ softPrompt(z) (nTokens, H) ; E[templated ids] (L, H) ]  -> (nTokens + L, H)
 */
import { seedFor } from "../util/rng.js";
import type { GeneratedInstruction, SoftPromptGenerator } from "./backend.js";
import type { ChatFormat } from "./chat.js";
import type { LocalModelOptions } from "./local-model-api.js";
// local-model.js imports onnxruntime-node: the lazy entry loads it (after checking the runtime is
// installed) only when a model is opened, so importing this module does not need the runtime.
import { openLocalModelInternal as openLocalModel } from "./open-local.js";

/** What {@link createPromptEmbedder} needs of an opened model (a LocalModel; structural, no runtime types). */
export interface EmbeddingModel {
  readonly hidden: number;
  readonly chat: ChatFormat;
  readonly folder: { readonly config: Record<string, unknown> };
  readonly decoder: { embed(ids: readonly number[]): Promise<Float32Array> };
}

import { renderInductionPrompt } from "../tasks/templates.js";
import type { Demo } from "../tasks/types.js";
import { MeanStd, makeProjection, type Projection, type ProjectionKind, project } from "./projection.js";

export type { GeneratedInstruction } from "./backend.js";

/** Options of {@link loadGenerator} and {@link loadPromptEmbedder}. */
export interface GeneratorOptions extends LocalModelOptions {
  /** Run seed: fixes the projection A. */
  seed: number;
  /** Soft tokens prepended (default 5). */
  nTokens?: number;
  /** Length of z (default 10). */
  intrinsicDim?: number;
  /** Distribution of A (default "uniform"). */
  projection?: ProjectionKind;
  /** Max new tokens per instruction (default 128). */
  maxNewTokens?: number;
  /** Soft prompts per forward batch (default 25). */
  batchSize?: number;
  /** Stop strings (default none: stop on EOS only). */
  stop?: string[];
}

/** Builds prompt embeddings for soft prompts; needs only the tokenizer and the embedding graph. */
export class PromptEmbedder {
  constructor(
    readonly chat: ChatFormat,
    readonly embed: (ids: readonly number[]) => Promise<Float32Array>,
    readonly hidden: number,
    readonly nTokens: number,
    readonly projection: Projection,
  ) {}

  /** Length of z. */
  get intrinsicDim(): number {
    return this.projection.dim;
  }

  /** Token ids of the chat-templated induction prompt for `demos`. */
  textIds(demos: readonly Demo[]): number[] {
    return this.chat.encode(
      this.chat.render([{ role: "user", content: renderInductionPrompt(demos) }], true),
    );
  }

  /** The soft tokens of z: Float32Array (nTokens, H). */
  softPrompt(z: readonly number[]): Float32Array {
    return project(this.projection, z);
  }

  /** The full embedded prompt of one z: Float32Array (nTokens + L, H), soft tokens first. */
  async embedPrompt(z: readonly number[], demos: readonly Demo[]): Promise<Float32Array> {
    const text = await this.embed(this.textIds(demos));
    const out = new Float32Array(this.nTokens * this.hidden + text.length);
    out.set(this.softPrompt(z));
    out.set(text, this.nTokens * this.hidden);
    return out;
  }

  /** Prompt embeddings of many z as one batch (B, P, H); P = nTokens + L. */
  async embedBatch(
    zs: readonly (readonly number[])[],
    demos: readonly Demo[],
  ): Promise<{ x: Float32Array; P: number }> {
    const text = await this.embed(this.textIds(demos));
    const soft = this.nTokens * this.hidden;
    const row = soft + text.length;
    const x = new Float32Array(zs.length * row);
    zs.forEach((z, b) => {
      x.set(this.softPrompt(z), b * row);
      x.set(text, b * row + soft);
    });
    return { x, P: row / this.hidden };
  }
}

/** The local ONNX generator: the {@link SoftPromptGenerator} contract plus access to its embedder. */
export interface InstructionGenerator extends SoftPromptGenerator {
  generate(zs: number[][], demos: Demo[]): Promise<GeneratedInstruction[]>;
  readonly embedder: PromptEmbedder;
  /** The full embedded prompt of one z, Float32Array (seq, hidden). */
  promptEmbeddings(z: number[], demos: Demo[]): Promise<Float32Array>;
}

/** Std of the embedding table, read through the embedding graph in chunks of ids (streaming sums). */
export async function embeddingStd(
  embed: (ids: readonly number[]) => Promise<Float32Array>,
  vocab: number,
  chunk = 4096,
): Promise<number> {
  const acc = new MeanStd();
  for (let a = 0; a < vocab; a += chunk) {
    const ids = Array.from({ length: Math.min(chunk, vocab - a) }, (_, i) => a + i);
    acc.add(await embed(ids));
  }
  return acc.std;
}

/** Build the embedder of an opened model. */
export async function createPromptEmbedder(
  model: EmbeddingModel,
  options: GeneratorOptions,
): Promise<PromptEmbedder> {
  const nTokens = options.nTokens ?? 5;
  const dim = options.intrinsicDim ?? 10;
  const kind = options.projection ?? "uniform";
  const H = model.hidden;
  const embed = (ids: readonly number[]) => model.decoder.embed(ids);
  let embStd: number | undefined;
  if (kind === "normal") {
    const v = model.folder.config.vocab_size;
    const vocab = typeof v === "number" ? v : model.chat.tokenizer.get_vocab(true).size;
    embStd = await embeddingStd(embed, vocab);
  }
  const A = makeProjection(kind, dim, nTokens * H, seedFor(options.seed, `projection:${kind}`), embStd);
  return new PromptEmbedder(model.chat, embed, H, nTokens, A);
}

/** Open a model and build only the prompt embedder (for backends that decode elsewhere, e.g. vLLM). */
export async function loadPromptEmbedder(
  source: string,
  options: GeneratorOptions,
): Promise<PromptEmbedder & { close(): Promise<void> }> {
  const model = await openLocalModel(source, options);
  const e = await createPromptEmbedder(model, options);
  return Object.assign(e, { close: () => model.close() });
}

/** Load the generator for a model folder or hf: id. */
export async function loadGenerator(
  source: string,
  options: GeneratorOptions,
): Promise<InstructionGenerator> {
  const model = await openLocalModel(source, options);
  const embedder = await createPromptEmbedder(model, options);
  const batchSize = Math.max(1, options.batchSize ?? 25);
  const gen = { maxNewTokens: options.maxNewTokens ?? 128, stop: options.stop };
  return {
    embedder,
    async generate(zs, demos) {
      const out: GeneratedInstruction[] = [];
      for (let a = 0; a < zs.length; a += batchSize) {
        const batch = zs.slice(a, a + batchSize);
        const t0 = performance.now();
        const { x, P } = await embedder.embedBatch(batch, demos);
        const rows = await model.generateFromEmbeddings(x, batch.length, P, gen);
        const ms = (performance.now() - t0) / batch.length;
        for (const r of rows) out.push({ text: r.text, promptTokens: P, newTokens: r.ids.length, ms });
      }
      return out;
    },
    promptEmbeddings: (z, demos) => embedder.embedPrompt(z, demos),
    close: () => model.close(),
  };
}
