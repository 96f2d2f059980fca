/**
 * Run configurations written by ledger schema version 1 (instructzero <= 0.1.0) in today's schema.
 * Version 1 stored a flat object whose extra fields were untyped; version 2 uses the option names of
 * the CLI flags (camelCased) and stores every default.
 */
import { type RunConfig, RunConfigSchema } from "./schema.js";

/** Field renames from version 1 to version 2. */
const RENAMED: Record<string, string> = { numDemos: "demos", baseURL: "baseUrl", timeoutMs: "timeout" };

/** Version-1 fields that carried nothing a run needs (dropped). */
const DROPPED = new Set(["cachePath", "skipTest"]);

/**
 * A version-1 configuration in version-2 form: renamed fields, `skipTest` -> `test`, `cache` +
 * `cachePath` -> `cache` (false, true or the file), defaults filled in; fields that version 1 stored but
 * nothing read are dropped. Throws (naming the field) if the result does not fit the schema.
 */
export function migrateConfigV1(old: Record<string, unknown>): RunConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(old)) {
    if (v === undefined || v === null || DROPPED.has(k)) continue;
    out[RENAMED[k] ?? k] = v;
  }
  if (old.skipTest === true) out.test = false;
  // version 1 ran the paper's protocol: raw generator text, the winner by validation score, every
  // baseline and the winner on the whole test split
  out.rawInstructions = true;
  out.selection = "validation";
  out.postSearch = "full";
  if (old.cache !== false && typeof old.cachePath === "string") out.cache = old.cachePath;
  // version 1 omitted the generator of ape runs and instructionTokens when it was the default
  for (const k of Object.keys(out)) if (!(k in RunConfigSchema.shape)) delete out[k];
  return RunConfigSchema.parse(out);
}
