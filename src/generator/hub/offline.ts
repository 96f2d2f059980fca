/** Offline mode (HF_HUB_OFFLINE): use the cache only, and say what is missing when it is not enough. */
import { UserError } from "../../util/errors.js";

/** True for HF-style boolean environment values (1, true, yes, on). */
export function envFlag(v: string | undefined): boolean {
  return v !== undefined && ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
}

/** True when HF_HUB_OFFLINE asks for offline mode. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return envFlag(env.HF_HUB_OFFLINE);
}

/** The error of an offline resolve whose snapshot is incomplete in the cache. */
export function offlineMissError(
  repoId: string,
  revision: string,
  onnxFile: string,
  cacheRoot: string,
  missing: readonly string[],
): UserError {
  return new UserError(
    `model ${repoId}@${revision} (${onnxFile}) is not complete in the hub cache ${cacheRoot} ` +
      `(missing: ${missing.join(", ")}) and offline mode is on (HF_HUB_OFFLINE is set in the environment). Download it once ` +
      `online, or pass the path of a local model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx) instead`,
  );
}
