/**
 * The selection preference `prefer` as text (CLI `--prefer cheaper:TOL`, or the same string in a
 * config file): "cheaper:TOL" with TOL a non-negative number, the score tolerance of the cost-aware
 * choice (src/optimizers/phases/prefer.ts).
 */

/** A parsed preference. */
export interface Preference {
  cheaper: number;
}

/** Parse "cheaper:TOL"; undefined when `text` is not of that form. */
export function parsePreference(text: string): Preference | undefined {
  const m = /^\s*cheaper\s*:\s*([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*$/i.exec(text);
  if (!m) return undefined;
  const cheaper = Number(m[1]);
  return Number.isFinite(cheaper) ? { cheaper } : undefined;
}

/** The error message of a text that is not a preference. */
export function preferenceError(text: string): string {
  return `${JSON.stringify(text)} is not of the form cheaper:TOL with TOL a non-negative number (e.g. cheaper:0.02)`;
}
