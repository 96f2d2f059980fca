/** Validate run options and stored configurations against the schema, with errors that name the field. */
import type { z } from "zod";
import { UserError } from "../util/errors.js";
import { assertNoSecrets } from "../util/secrets.js";
import { closest } from "../util/suggest.js";
import { type RunConfig, RunConfigSchema, type RunOptions, RunOptionsSchema } from "./schema.js";

/** Every option name a user may set. */
export const OPTION_NAMES: readonly string[] = Object.keys(RunOptionsSchema.shape);

/**
 * A readable message for the first problems of a failed parse: `${where}: unknown field "budgt" (did
 * you mean "budget"?)`, `${where}: field "budget" must be ... (got "5")`.
 */
export function describeIssues(
  error: z.ZodError,
  input: unknown,
  where: string,
  known: readonly string[],
): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys
        .map((k) => {
          const near = closest(k, known, 1);
          return `unknown field "${k}"${near.length ? ` (did you mean "${near[0]}"?)` : ""}`;
        })
        .join("; ");
    }
    const path = issue.path.join(".");
    const got = issue.path.reduce<unknown>(
      (v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined),
      input,
    );
    return `field "${path}": ${issue.message} (got ${shown(got)})`;
  });
  return `${where}: ${lines.join("; ")}`;
}

/** A value for an error message; never one that looks like a secret. */
function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  try {
    assertNoSecrets(v, "value");
  } catch {
    return "a value that looks like a secret (not shown)";
  }
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Check user options (library object, config file, CLI flags); UserError naming the bad field. */
export function parseRunOptions(input: unknown, where = "options"): RunConfig {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new UserError(`${where} must be an object`);
  }
  const r = RunOptionsSchema.safeParse(input);
  if (!r.success) throw new UserError(describeIssues(r.error, input, where, OPTION_NAMES));
  return r.data;
}

/** Check a stored (or about to be stored) run configuration; UserError naming the bad field. */
export function parseRunConfig(input: unknown, where = "run config"): RunConfig {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new UserError(`${where} must be an object`);
  }
  const r = RunConfigSchema.safeParse(input);
  if (!r.success) {
    throw new UserError(describeIssues(r.error, input, where, Object.keys(RunConfigSchema.shape)));
  }
  return r.data;
}

/** Options with undefined fields dropped (so that they take their defaults). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export type { RunConfig, RunOptions };
