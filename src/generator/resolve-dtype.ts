/**
 * The ONNX variant a model source opens with: "auto" (the run's default) picks q8 when the model has
 * onnx/model_quantized.onnx, else fp32. No onnxruntime here (the vLLM path reads tables without it).
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { type ResolveModelOptions, resolveModelSource } from "./hub.js";

/** The dtype "auto" resolves to when available, and its graph (transformers.js naming). */
export const AUTO_DTYPE = "q8";
const AUTO_FILE = "model_quantized.onnx";

/**
 * The ONNX variant "auto" picks in a local folder: q8 when onnx/model_quantized.onnx exists, else fp32.
 * (Hub sources: see {@link resolveWithDtype}.)
 */
export function autoDtypeOfFolder(dir: string): string {
  return fs.existsSync(path.join(dir, "onnx", AUTO_FILE)) ? AUTO_DTYPE : "fp32";
}

/**
 * Resolve the source for options.dtype; "auto" tries q8 first: a local folder is looked at, a hub
 * repository is asked for onnx/model_quantized.onnx and, when it has none (or offline mode finds
 * only another variant cached), the fp32 model is used.
 */
export async function resolveWithDtype(
  source: string,
  options: { dtype?: string; revision?: string; onProgress?: ResolveModelOptions["onProgress"] },
): Promise<{ dir: string; dtype: string | undefined }> {
  const resolve = (dtype: string | undefined) =>
    resolveModelSource(source, { revision: options.revision, dtype, onProgress: options.onProgress });
  if (options.dtype !== "auto") return { dir: await resolve(options.dtype), dtype: options.dtype };
  if (!source.startsWith("hf:")) {
    const dir = await resolve(undefined);
    return { dir, dtype: autoDtypeOfFolder(dir) };
  }
  try {
    return { dir: await resolve(AUTO_DTYPE), dtype: AUTO_DTYPE };
  } catch (err) {
    if (!(err instanceof UserError) || !err.message.includes(AUTO_FILE)) throw err;
    return { dir: await resolve("fp32"), dtype: "fp32" };
  }
}
