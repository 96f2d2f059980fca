import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, estimateCost, lookupPrice, resolvePrices } from "../../src/blackbox/pricing.js";
import { UserError } from "../../src/util/errors.js";

const usage = { inputTokens: 1_000_000, outputTokens: 2_000_000 };

describe("estimateCost", () => {
  it("prices a known model per million input and output tokens", () => {
    const c = estimateCost("openai:gpt-4o-mini", usage);
    expect(c.priced).toBe(true);
    expect(c.costUsd).toBeCloseTo(0.15 + 2 * 0.6, 12);
    expect(estimateCost("gpt-4o-mini", { inputTokens: 1000, outputTokens: 0 }).costUsd).toBeCloseTo(
      0.00015,
      12,
    );
  });

  it("falls back from a dated or -latest snapshot to its family, longest family first", () => {
    expect(lookupPrice("openai:gpt-4o-mini-2024-07-18", DEFAULT_PRICES)).toEqual(
      DEFAULT_PRICES["gpt-4o-mini"],
    );
    expect(lookupPrice("openai:gpt-4o-2024-08-06", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-4o"]);
    expect(lookupPrice("anthropic:claude-3-5-haiku-latest", DEFAULT_PRICES)).toEqual(
      DEFAULT_PRICES["claude-3-5-haiku"],
    );
    // only a "-" boundary counts: "gpt-4oz" is not gpt-4o, fine-tune ids are not prefixed
    expect(lookupPrice("gpt-4oz", DEFAULT_PRICES)).toBeUndefined();
    expect(lookupPrice("openai:ft:gpt-4o-mini:org::abc", DEFAULT_PRICES)).toBeUndefined();
  });

  it("counts an unknown model as cost 0, priced false; local models are free and priced", () => {
    expect(estimateCost("openai:my-finetune", usage)).toEqual({ costUsd: 0, priced: false });
    expect(estimateCost("local:/models/qwen", usage)).toEqual({ costUsd: 0, priced: true });
  });

  it("lets overrides win, per bare name or per provider:model", () => {
    expect(
      estimateCost("openai:gpt-4o-mini", usage, { "gpt-4o-mini": { input: 1, output: 1 } }).costUsd,
    ).toBe(3);
    expect(
      estimateCost("openai:my-model", usage, { "openai:my-model": { input: 2, output: 0 } }).costUsd,
    ).toBe(2);
    // a provider-scoped override does not apply to another provider
    expect(
      estimateCost("anthropic:my-model", usage, { "openai:my-model": { input: 2, output: 0 } }).priced,
    ).toBe(false);
    // an override of a family does not shadow a more specific built-in entry
    expect(
      estimateCost("openai:gpt-4o-mini", usage, { "gpt-4o": { input: 9, output: 9 } }).costUsd,
    ).toBeCloseTo(1.35, 12);
  });
});

describe("resolvePrices", () => {
  const dir = mkdtempSync(join(tmpdir(), "iz-prices-"));

  it("reads INSTRUCTZERO_PRICES and overlays the option on it", () => {
    const file = join(dir, "prices.json");
    writeFileSync(file, JSON.stringify({ "m-a": { input: 1, output: 2 }, "m-b": { input: 3, output: 4 } }));
    const table = resolvePrices({ "m-b": { input: 5, output: 6 } }, { INSTRUCTZERO_PRICES: file });
    expect(table).toEqual({ "m-a": { input: 1, output: 2 }, "m-b": { input: 5, output: 6 } });
  });

  it("rejects a malformed file with a UserError naming the file and the entry", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ "m-a": { input: "cheap", output: 2 } }));
    expect(() => resolvePrices(undefined, { INSTRUCTZERO_PRICES: bad })).toThrow(UserError);
    expect(() => resolvePrices(undefined, { INSTRUCTZERO_PRICES: bad })).toThrow(/bad\.json.*m-a/);
    const notJson = join(dir, "broken.json");
    writeFileSync(notJson, "{ nope");
    expect(() => resolvePrices(undefined, { INSTRUCTZERO_PRICES: notJson })).toThrow(/broken\.json/);
    expect(() => resolvePrices(undefined, { INSTRUCTZERO_PRICES: join(dir, "missing.json") })).toThrow(
      /missing\.json/,
    );
  });

  it("rejects negative prices given as an option", () => {
    expect(() => resolvePrices({ x: { input: -1, output: 0 } }, {})).toThrow(UserError);
  });
});
