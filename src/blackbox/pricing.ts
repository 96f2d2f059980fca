/**
 * Dollar prices of black-box models, per million tokens. The built-in table covers common OpenAI
 * and Anthropic models (list prices at the time of writing; check your provider's page). Override
 * with the `prices` option or a JSON file named by INSTRUCTZERO_PRICES:
 * `{ "gpt-4o-mini": { "input": 0.15, "output": 0.6 }, "openai:my-model": { ... } }`.
 * A dated or "-latest" snapshot falls back to its family ("gpt-4o-mini-2024-07-18" -> "gpt-4o-mini").
 */
import { readFileSync, statSync } from "node:fs";
import { UserError } from "../util/errors.js";
import type { Usage } from "./types.js";

/** Price of one model in USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** Model name (bare, or "provider:model") -> price. */
export type PriceTable = Record<string, ModelPrice>;

/** Built-in list prices, USD per million input/output tokens. */
export const DEFAULT_PRICES: Readonly<PriceTable> = Object.freeze({
  // OpenAI
  "gpt-3.5-turbo": { input: 0.5, output: 1.5 },
  "gpt-4": { input: 30, output: 60 },
  "gpt-4-turbo": { input: 10, output: 30 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  o1: { input: 15, output: 60 },
  "o1-mini": { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "o4-mini": { input: 1.1, output: 4.4 },
  // Anthropic
  "claude-3-haiku": { input: 0.25, output: 1.25 },
  "claude-3-opus": { input: 15, output: 75 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "claude-3-5-sonnet": { input: 3, output: 15 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-opus-4": { input: 15, output: 75 },
  "claude-opus-4-1": { input: 15, output: 75 },
  "claude-opus-4-5": { input: 5, output: 25 },
});

/** Cost of one completion; `priced` is false when the model is in no table (cost then 0). */
export interface CostEstimate {
  costUsd: number;
  priced: boolean;
}

/** Providers whose calls are always free (run on this machine). */
const FREE_PROVIDERS = new Set(["local"]);

/**
 * Find the price of `modelId` ("provider:model" or a bare model) in `table`: exact id, exact bare
 * model, then the longest table key that is a "-"-separated prefix of the model name.
 */
export function lookupPrice(modelId: string, table: Readonly<PriceTable>): ModelPrice | undefined {
  const colon = modelId.indexOf(":");
  const bare = colon >= 0 ? modelId.slice(colon + 1) : modelId;
  const provider = colon >= 0 ? modelId.slice(0, colon) : undefined;
  const names = provider ? [modelId, bare] : [bare];
  for (const name of names) if (Object.hasOwn(table, name)) return table[name];
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    const keyBare = key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
    if (key.includes(":") && key.slice(0, key.indexOf(":")) !== provider) continue;
    if (bare.startsWith(`${keyBare}-`) && (best === undefined || keyBare.length > stripProvider(best).length))
      best = key;
  }
  return best === undefined ? undefined : table[best];
}

function stripProvider(key: string): string {
  const i = key.indexOf(":");
  return i >= 0 ? key.slice(i + 1) : key;
}

/**
 * Dollar cost of `usage` on `modelId` ("openai:gpt-4o-mini" or "gpt-4o-mini"). Local models cost 0
 * and count as priced; an unknown model costs 0 with `priced: false`. `prices` entries take
 * precedence over the built-in table.
 */
export function estimateCost(modelId: string, usage: Usage, prices?: Readonly<PriceTable>): CostEstimate {
  const colon = modelId.indexOf(":");
  if (colon >= 0 && FREE_PROVIDERS.has(modelId.slice(0, colon))) return { costUsd: 0, priced: true };
  const price = lookupPrice(modelId, prices ? { ...DEFAULT_PRICES, ...prices } : DEFAULT_PRICES);
  if (!price) return { costUsd: 0, priced: false };
  return {
    costUsd: (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000,
    priced: true,
  };
}

/** Read a price table from a JSON file; a malformed file is a UserError naming the file and entry. */
export function loadPriceFile(path: string): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UserError(`cannot read price table ${path}: ${(err as Error).message}`, { cause: err });
  }
  return validatePriceTable(raw, path);
}

/** Check that `raw` is a {model: {input, output}} table with finite non-negative numbers. */
export function validatePriceTable(raw: unknown, source: string): PriceTable {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UserError(`price table ${source}: expected a JSON object {"model": {"input": n, "output": n}}`);
  }
  const out: PriceTable = {};
  for (const [model, entry] of Object.entries(raw as Record<string, unknown>)) {
    const e = entry as Record<string, unknown> | null;
    const ok = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0;
    if (typeof e !== "object" || e === null || !ok(e.input) || !ok(e.output)) {
      throw new UserError(
        `price table ${source}: entry "${model}" must be {"input": n, "output": n} (USD per million tokens, >= 0), got ${JSON.stringify(entry)}`,
      );
    }
    out[model] = { input: e.input as number, output: e.output as number };
  }
  return out;
}

/** Price files already read and validated in this process, by path (with the size and time they had). */
const priceFiles = new Map<string, { stamp: string; table: PriceTable }>();

/**
 * The price table of the INSTRUCTZERO_PRICES file `path`, read and validated once per process (read
 * again only when the file changed). A missing or malformed file is the same UserError every time:
 * errors are not remembered.
 */
export function priceFileTable(path: string): PriceTable {
  let stamp: string | undefined;
  try {
    const st = statSync(path);
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch {
    // missing: loadPriceFile says so, naming the file
  }
  const known = priceFiles.get(path);
  if (known && stamp !== undefined && known.stamp === stamp) return known.table;
  const table = Object.freeze(loadPriceFile(path)) as PriceTable;
  if (stamp !== undefined) priceFiles.set(path, { stamp, table });
  return table;
}

/**
 * The effective overrides: the INSTRUCTZERO_PRICES file (if set; resolved once per process, see
 * {@link priceFileTable}) overlaid by `prices`. The built-in table stays the fallback inside
 * {@link estimateCost}.
 */
export function resolvePrices(prices: PriceTable | undefined, env: NodeJS.ProcessEnv): PriceTable {
  const file = env.INSTRUCTZERO_PRICES;
  const fromFile = file ? priceFileTable(file) : {};
  return { ...fromFile, ...(prices ? validatePriceTable(prices, "option prices") : {}) };
}
