/**
 * Which files of a repository a transformers.js-style generator needs: config, tokenizer,
 * onnx/model{dtype suffix}.onnx and its external-data chunks.
 */
import { UserError } from "../../util/errors.js";

/** ONNX file-name suffix of each transformers.js dtype (onnx/model{suffix}.onnx). */
export const DTYPE_SUFFIXES: Readonly<Record<string, string>> = {
  fp32: "",
  fp16: "_fp16",
  int8: "_int8",
  uint8: "_uint8",
  q8: "_quantized",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
};

/** Files fetched besides the ONNX graph: required ones, then optional ones. */
export const REQUIRED_FILES: readonly string[] = ["config.json", "tokenizer.json", "tokenizer_config.json"];
export const OPTIONAL_FILES: readonly string[] = ["generation_config.json", "special_tokens_map.json"];
/** Upper bound on external-data chunks probed or declared. */
export const MAX_DATA_CHUNKS = 100;

/** Path of the decoder graph for `dtype` inside a model folder, e.g. "onnx/model_q4.onnx". */
export function onnxFileForDtype(dtype = "fp32"): string {
  const suffix = DTYPE_SUFFIXES[dtype];
  if (suffix === undefined) {
    throw new UserError(
      `unknown dtype "${dtype}": expected one of ${Object.keys(DTYPE_SUFFIXES).join(", ")}`,
    );
  }
  return `onnx/model${suffix}.onnx`;
}

/** External-data file names of `onnxFile` (transformers.js naming: X.onnx_data, X.onnx_data_1, ...). */
export function externalDataFile(onnxFile: string, chunk: number): string {
  return chunk === 0 ? `${onnxFile}_data` : `${onnxFile}_data_${chunk}`;
}

/**
 * Number of external-data chunks config.json declares for `onnxFile`
 * (`transformers.js_config.use_external_data_format`: boolean, count, or per-file map).
 */
export function declaredDataChunks(config: unknown, onnxFile: string): number {
  const tjs = (config as Record<string, unknown> | null)?.["transformers.js_config"] as
    | Record<string, unknown>
    | undefined;
  const v = tjs?.use_external_data_format;
  if (v === undefined || v === null || v === false) return 0;
  if (typeof v === "object") {
    const full = onnxFile.split("/").pop() ?? onnxFile;
    const map = v as Record<string, unknown>;
    const entry = map[full] ?? map[full.replace(/\.onnx$/, "")] ?? map["model"];
    return entry === undefined ? 0 : Math.min(MAX_DATA_CHUNKS, Number(entry) || 0);
  }
  return Math.min(MAX_DATA_CHUNKS, Number(v) || 0);
}

/** The files of one snapshot that are fetched. */
export interface FilePlan {
  required: string[];
  optional: readonly string[];
  onnxFile: string;
}

/** The plan for `dtype` (default fp32). */
export function planFor(dtype: string | undefined): FilePlan {
  const onnxFile = onnxFileForDtype(dtype ?? "fp32");
  return { required: [...REQUIRED_FILES, onnxFile], optional: OPTIONAL_FILES, onnxFile };
}
