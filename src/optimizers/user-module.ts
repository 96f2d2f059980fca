/**
 * The user's own ES modules (`--black-box ./pipeline.mjs`, `--metric ./metric.mjs`): the default export
 * is the function. A run records each file's path and sha256; resuming with a changed file is refused.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { FileRef } from "../config/schema.js";
import { errorMessage, UserError } from "../util/errors.js";

/** Extensions taken as module files. */
export const MODULE_EXTENSIONS = [".mjs", ".js", ".cjs"] as const;

/** True when `value` names a module file (by extension), not a model id or metric name. */
export function isModuleFile(value: string): boolean {
  return (MODULE_EXTENSIONS as readonly string[]).includes(extname(value).toLowerCase());
}

/** Absolute path and content hash of `path`; UserError naming the file if it cannot be read. */
export function fileRef(path: string, what: string): FileRef {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new UserError(`${what} ${abs} does not exist`);
  try {
    return { path: abs, sha256: createHash("sha256").update(readFileSync(abs)).digest("hex") };
  } catch (err) {
    throw new UserError(`cannot read ${what} ${abs}: ${errorMessage(err)}`);
  }
}

/**
 * Import the module of `ref` and return its default export, a function. UserError naming the file when
 * it is missing, changed since the run was created, fails to load, or exports no default function.
 */
export async function loadUserFunction<T>(ref: FileRef, what: string, runId?: string): Promise<T> {
  const now = fileRef(ref.path, what);
  if (now.sha256 !== ref.sha256) {
    throw new UserError(
      `${what} ${ref.path} changed since ${runId ? `run ${runId}` : "the run"} was created ` +
        `(sha256 ${ref.sha256.slice(0, 12)}... then, ${now.sha256.slice(0, 12)}... now); ` +
        "restore it, or start a new run for the new version",
    );
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(`${pathToFileURL(ref.path).href}?sha256=${ref.sha256}`)) as { default?: unknown };
  } catch (err) {
    throw new UserError(`cannot load ${what} ${ref.path}: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof mod.default !== "function") {
    throw new UserError(
      `${what} ${ref.path} must have a default export that is a function (export default async (...) => ...)`,
    );
  }
  return mod.default as T;
}
