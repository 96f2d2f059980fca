/**
 * A generator model folder in the transformers.js/Optimum layout: config.json,
 * [generation_config.json], tokenizer.json, tokenizer_config.json (or chat_template.jinja/json),
 * onnx/model{suffix}.onnx [+ external data]. Checks and reads the small JSON files; the graphs are
 * handled by ./prepare. {@link readEmbeddingTable} reads the token embedding table without
 * onnxruntime (for backends that decode elsewhere, e.g. vLLM): from the decoder graph's initializers
 * (fp32, fp16, bf16, int8/uint8 + DequantizeLinear, com.microsoft GatherBlockQuantized) or from a
 * safetensors file.
 */
import fs from "node:fs";
import path from "node:path";
import type { NodeProto, TensorProto } from "onnx-buf";
import { UserError } from "../util/errors.js";
import { DTYPE_SUFFIXES } from "./hub/source.js";
import { DataType, fromHalf, isExternal, numel, readModel } from "./onnx/proto.js";

/** The parsed small files of a model folder and the path of its decoder graph. */
export interface ModelFolder {
  dir: string;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Chat template source (null when the model has none). */
  chatTemplate: string | null;
  /** Absolute path of onnx/model{suffix}.onnx. */
  decoderFile: string;
  /** config.json hidden_size (or its aliases), when present. */
  hidden?: number;
}

function readJson(file: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${file}: cannot read ${what} (${(err as Error).message})`, { cause: err });
  }
}

/** Pick the chat template: tokenizer_config.chat_template (string or named list), else chat_template.jinja/json. */
function findChatTemplate(dir: string, tokCfg: Record<string, unknown>): string | null {
  const t = tokCfg.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === "default") ?? named[0])?.template ?? null;
  }
  const jinja = path.join(dir, "chat_template.jinja");
  if (fs.existsSync(jinja)) return fs.readFileSync(jinja, "utf8");
  const json = path.join(dir, "chat_template.json");
  if (fs.existsSync(json)) {
    const v = readJson(json, "the chat template").chat_template;
    if (typeof v === "string") return v;
  }
  return null;
}

/**
 * Check and read a local model folder. `dtype` picks onnx/model{suffix}.onnx (fp32 -> model.onnx,
 * q4 -> model_q4.onnx ...). Every missing piece is a UserError naming the file.
 */
export function readModelFolder(
  dir: string,
  options: {
    dtype?: string;
    /**
     * Default true. False: a folder without the decoder graph is accepted (decoderFile is then the
     * path where it would be; for backends that only need the tokenizer and embedding table).
     */
    requireDecoder?: boolean;
  } = {},
): ModelFolder {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory())
    throw new UserError(
      `model folder not found: ${dir} (expected a folder with config.json, tokenizer.json, onnx/)`,
    );
  const tokFile = path.join(abs, "tokenizer.json");
  if (!fs.existsSync(tokFile))
    throw new UserError(
      `${dir}: missing tokenizer.json (the generator needs a Hugging Face fast tokenizer file)`,
    );
  const tokenizerJson = readJson(tokFile, "tokenizer.json");
  const tokCfgFile = path.join(abs, "tokenizer_config.json");
  if (!fs.existsSync(tokCfgFile)) throw new UserError(`${dir}: missing tokenizer_config.json`);
  const tokenizerConfig = readJson(tokCfgFile, "tokenizer_config.json");
  const cfgFile = path.join(abs, "config.json");
  const config = fs.existsSync(cfgFile) ? readJson(cfgFile, "config.json") : {};
  const genFile = path.join(abs, "generation_config.json");
  const generationConfig = fs.existsSync(genFile) ? readJson(genFile, "generation_config.json") : {};
  const dtype = options.dtype ?? "fp32";
  const suffix = DTYPE_SUFFIXES[dtype];
  if (suffix === undefined)
    throw new UserError(
      `unknown dtype "${dtype}": expected one of ${Object.keys(DTYPE_SUFFIXES).join(", ")}`,
    );
  const decoderFile = path.join(abs, "onnx", `model${suffix}.onnx`);
  if (!fs.existsSync(decoderFile) && options.requireDecoder !== false) {
    const onnxDir = path.join(abs, "onnx");
    const found = fs.existsSync(onnxDir)
      ? fs
          .readdirSync(onnxDir)
          .filter((f) => f.endsWith(".onnx") && !f.includes("_embeds") && !f.startsWith("embed_tokens"))
      : [];
    throw new UserError(
      `${dir}: no decoder graph onnx/model${suffix}.onnx for dtype ${dtype}` +
        (found.length ? ` (found: ${found.join(", ")})` : " (no onnx/ folder with .onnx files)"),
    );
  }
  const h = config.hidden_size ?? config.n_embd ?? config.d_model;
  return {
    dir: abs,
    config,
    generationConfig,
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: findChatTemplate(abs, tokenizerConfig),
    decoderFile,
    hidden: typeof h === "number" ? h : undefined,
  };
}
