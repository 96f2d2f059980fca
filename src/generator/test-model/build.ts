/**
 * Write a random-weight LLaMA-shaped test model in the folder layout of transformers.js/Optimum
 * exports: config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model.onnx (+ onnx/model.onnx_data when weights are external). Everything offline and
 * deterministic in the seed.
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../util/errors.js";
import { encodeModel, externalize } from "../onnx/proto.js";
import {
  buildLlamaGraph,
  type EmbeddingStorage,
  headDimOf,
  type LinearStorage,
  type LlamaShape,
} from "./llama.js";
import { buildTestTokenizer, TEST_BOS_ID, TEST_EOS_ID } from "./tokenizer.js";

/** Named test-model shapes. smol135 has the compute shapes of SmolLM2-135M, qwen05 those of Qwen2.5-0.5B. */
export const TEST_PRESETS = {
  micro: { vocab: 384, hidden: 32, intermediate: 64, layers: 2, heads: 4, kvHeads: 2, std: 0.3, embStd: 1 },
  tiny: { vocab: 4096, hidden: 64, intermediate: 128, layers: 2, heads: 4, kvHeads: 2, std: 0.25, embStd: 1 },
  smol135: {
    vocab: 49152,
    hidden: 576,
    intermediate: 1536,
    layers: 30,
    heads: 9,
    kvHeads: 3,
    std: 0.25,
    embStd: 1,
  },
  /** The compute shapes of Qwen2.5-0.5B (no q/k/v biases; ~494M parameters, 2 GB in fp32). */
  qwen05: {
    vocab: 151936,
    hidden: 896,
    intermediate: 4864,
    layers: 24,
    heads: 14,
    kvHeads: 2,
    std: 0.25,
    embStd: 1,
    eps: 1e-6,
    theta: 1_000_000,
  },
} satisfies Record<string, LlamaShape>;

/** Name of a test-model preset. */
export type TestPreset = keyof typeof TEST_PRESETS;

/** Options of {@link buildTestModel}. */
export interface BuildTestModelOptions {
  preset: TestPreset;
  /** Weight seed (default 0). */
  seed?: number;
  /** Storage of the embedding table (default fp32; int8 with q8 linears, as in q8 exports). */
  embedding?: EmbeddingStorage;
  /**
   * Storage of the linear layers (default fp32). "q8" writes onnx/model_quantized.onnx (the
   * transformers.js name of the q8 dtype) instead of onnx/model.onnx.
   */
  linears?: LinearStorage;
  /** Put weights in onnx/model.onnx_data (default: only when the model exceeds 64 MB). */
  external?: boolean;
}

/** What was written. */
export interface BuiltTestModel {
  dir: string;
  shape: LlamaShape;
  embedding: EmbeddingStorage;
  onnxBytes: number;
  external: boolean;
}

/** transformers-style config.json for a LLaMA shape. */
export function llamaConfigJson(shape: LlamaShape): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: shape.vocab,
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: headDimOf(shape),
    rms_norm_eps: shape.eps ?? 1e-5,
    rope_theta: shape.theta ?? 10000,
    max_position_embeddings: 2048,
    tie_word_embeddings: true,
    bos_token_id: TEST_BOS_ID,
    eos_token_id: TEST_EOS_ID,
    hidden_act: "silu",
    torch_dtype: "float32",
  };
}

/** Parse a preset name (UserError naming the value when unknown). */
export function parsePreset(name: string): TestPreset {
  if (!(name in TEST_PRESETS))
    throw new UserError(
      `unknown test-model preset "${name}" (expected ${Object.keys(TEST_PRESETS).join(", ")})`,
    );
  return name as TestPreset;
}

/** Build a test model into `dir` (created if needed; existing files are overwritten). */
export function buildTestModel(dir: string, options: BuildTestModelOptions): BuiltTestModel {
  const shape: LlamaShape = TEST_PRESETS[options.preset];
  const linears = options.linears ?? "fp32";
  const embedding = options.embedding ?? (linears === "q8" ? "int8" : "fp32");
  const model = buildLlamaGraph(shape, options.seed ?? 0, embedding, linears);
  const onnxDir = path.join(dir, "onnx");
  fs.mkdirSync(onnxDir, { recursive: true });
  const base = linears === "q8" ? "model_quantized.onnx" : "model.onnx";
  const weightBytes = (model.graph?.initializer ?? []).reduce((a, t) => a + t.rawData.byteLength, 0);
  const external = options.external ?? weightBytes > 64 * 2 ** 20;
  if (external) externalize(model, onnxDir, `${base}_data`);
  else fs.rmSync(path.join(onnxDir, `${base}_data`), { force: true });
  const bytes = encodeModel(model);
  fs.writeFileSync(path.join(onnxDir, base), bytes);
  const { tokenizer, tokenizerConfig } = buildTestTokenizer(shape.vocab);
  const json = (name: string, v: unknown) =>
    fs.writeFileSync(path.join(dir, name), `${JSON.stringify(v, null, 2)}\n`);
  json("config.json", llamaConfigJson(shape));
  json("generation_config.json", { bos_token_id: TEST_BOS_ID, eos_token_id: TEST_EOS_ID, do_sample: false });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  json("tokenizer_config.json", tokenizerConfig);
  return { dir, shape, embedding, onnxBytes: bytes.byteLength, external };
}
