/**
 * The user's own ES modules (`--black-box ./pipeline.mjs`, `--metric ./metric.mjs`): the default export
 * is the function. A run records each file's path and sha256; resuming with a changed file is refused.
 * What the function throws, or returns against its contract, becomes a {@link UserCodeError} naming the
 * file (the evaluation adds the example, the instruction and the phase).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BlackBoxError } from "../blackbox/errors.js";
import type { FileRef } from "../config/schema.js";
import { errorMessage, UserError } from "../util/errors.js";
import { quoted, UserCodeError } from "../util/user-code-error.js";

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
  return namedFailures(
    mod.default as (...args: unknown[]) => unknown,
    `${what} ${ref.path}`,
    RULES[what],
  ) as T;
}

/** What a kind of module must return (checked on each call, so that a bad value names the file). */
const RULES: Record<string, { rule: string; ok: (v: unknown) => boolean }> = {
  "black-box module": {
    rule: "a string or { text, usage } (usage: inputTokens, outputTokens, costUsd, numbers >= 0)",
    ok: isBlackBoxAnswer,
  },
};

function isBlackBoxAnswer(v: unknown): boolean {
  if (typeof v === "string") return true;
  if (v === null || typeof v !== "object" || typeof (v as { text?: unknown }).text !== "string") return false;
  const usage = (v as { usage?: unknown }).usage;
  if (usage === undefined) return true;
  if (usage === null || typeof usage !== "object") return false;
  const count = (n: unknown) => n === undefined || (typeof n === "number" && Number.isFinite(n) && n >= 0);
  const u = usage as Record<string, unknown>;
  return count(u.inputTokens) && count(u.outputTokens) && count(u.costUsd);
}

/** The input of a black-box query (`{ instruction, input }`), to say where a call failed. */
function inputOf(args: unknown[]): string | undefined {
  const q = args[0] as { input?: unknown } | undefined;
  return q && typeof q === "object" && typeof q.input === "string" ? `input ${quoted(q.input)}` : undefined;
}

/**
 * `fn`, whose failures name `source`: a thrown error becomes a UserCodeError (one marked for a retry,
 * `transient: true` or a black-box error, keeps its class, with `source` put before its message), and
 * a value that breaks `contract` a UserCodeError too.
 */
function namedFailures(
  fn: (...args: unknown[]) => unknown,
  source: string,
  contract?: { rule: string; ok: (v: unknown) => boolean },
): (...args: unknown[]) => Promise<unknown> {
  return async function named(this: unknown, ...args: unknown[]): Promise<unknown> {
    let value: unknown;
    try {
      value = await fn.apply(this, args);
    } catch (err) {
      const retried = err instanceof BlackBoxError || (err as { transient?: unknown })?.transient === true;
      if (retried && err instanceof Error) {
        if (!err.message.startsWith(source)) err.message = `${source}: ${err.message}`;
        throw err;
      }
      throw new UserCodeError(source, { kind: "threw", error: err }, inputOf(args));
    }
    if (contract && !contract.ok(value))
      throw new UserCodeError(source, { kind: "returned", value, rule: contract.rule }, inputOf(args));
    return value;
  };
}
