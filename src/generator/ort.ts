/**
 * The one door to onnxruntime-node. It is an optional peer dependency: `npm i instructzero` does not
 * install it (its install script downloads CUDA files on Linux x64 unless told not to), so API black
 * boxes and the vLLM generator work without it, and only local models (the ONNX generator, `local:`
 * black boxes, `model prepare`) need it. Every entry point that runs a local model calls
 * {@link loadOrt} before importing a module that imports onnxruntime-node, so a missing runtime is
 * one UserError saying what to install instead of a module-resolution crash.
 */
import "./ort-env.js"; // telemetry off before the runtime loads (see there)
import { UserError } from "../util/errors.js";

/** The onnxruntime-node module. */
export type Ort = typeof import("onnxruntime-node");

/** Package name and the command that installs it for CPU inference (no CUDA download). */
export const ORT_PACKAGE = "onnxruntime-node";
export const ORT_INSTALL_COMMAND = "ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node";

/** The UserError for a missing runtime; `what` names what needed it. */
export function ortMissingError(what = "a local model", cause?: unknown): UserError {
  return new UserError(
    `${what} needs ${ORT_PACKAGE}, which is not installed (it is an optional peer dependency of instructzero). ` +
      `Install it in your project: \`${ORT_INSTALL_COMMAND}\` (CPU only; without ONNXRUNTIME_NODE_INSTALL=skip ` +
      "its install script also downloads CUDA files on Linux x64). API black boxes (openai:, anthropic:) and " +
      "a vLLM generator (--vllm-url) work without it.",
    { cause },
  );
}

/** True when `err` says that `pkg` itself (not something inside it) cannot be found. */
function isMissingPackage(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (e?.code !== "ERR_MODULE_NOT_FOUND" && e?.code !== "MODULE_NOT_FOUND") return false;
  const m = e.message ?? "";
  return m.includes(`'${pkg}'`) || m.includes(`"${pkg}"`);
}

let loading: Promise<Ort> | undefined;
/** Specifier in a variable: tests swap it to simulate a missing package (see {@link setOrtSpecifierForTests}). */
let specifier: string = ORT_PACKAGE;

/**
 * Load onnxruntime-node once (later calls share the promise). `what` names the feature in the
 * error: a missing package is {@link ortMissingError}; a package that is there but fails to load
 * (no native binary for this platform, a broken install) is a UserError saying so.
 */
export function loadOrt(what?: string): Promise<Ort> {
  loading ??= (import(specifier) as Promise<Ort>).catch((err: unknown) => {
    loading = undefined;
    if (isMissingPackage(err, specifier)) throw ortMissingError(what, err);
    throw new UserError(
      `${ORT_PACKAGE} is installed but cannot be loaded (${(err as Error).message}); ` +
        `reinstall it (\`${ORT_INSTALL_COMMAND}\`) or check that it supports ${process.platform}/${process.arch}`,
      { cause: err },
    );
  });
  return loading;
}

/** True when onnxruntime-node can be loaded (never throws). */
export async function ortAvailable(): Promise<boolean> {
  try {
    await loadOrt();
    return true;
  } catch {
    return false;
  }
}

/** For tests: load `name` instead of onnxruntime-node (a missing name simulates an absent runtime). */
export function setOrtSpecifierForTests(name: string = ORT_PACKAGE): void {
  specifier = name;
  loading = undefined;
}
