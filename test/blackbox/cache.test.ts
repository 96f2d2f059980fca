import { mkdtempSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheKey, defaultCachePath, ResponseCache } from "../../src/blackbox/cache.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import { UserError } from "../../src/util/errors.js";

const base = { provider: "openai", model: "gpt-4o-mini", prompt: "p", params: { temperature: 0 } };

describe("cacheKey", () => {
  it("is a sha256 hex digest, stable for equal inputs", () => {
    const k = cacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...base, params: { temperature: 0 } })).toBe(k);
  });

  it("changes with every part that changes the answer", () => {
    const k = cacheKey(base);
    const variants = [
      { ...base, provider: "anthropic" },
      { ...base, model: "gpt-4o" },
      { ...base, prompt: "p " },
      { ...base, baseURL: "http://127.0.0.1:8000/v1" },
      { ...base, params: { temperature: 0.7 } },
      { ...base, params: { temperature: 0, maxTokens: 10 } },
      { ...base, params: { temperature: 0, stop: ["\n"] } },
      { ...base, params: { temperature: 0, system: "be brief" } },
      { ...base, params: {} },
    ];
    const keys = variants.map(cacheKey);
    expect(new Set([k, ...keys]).size).toBe(variants.length + 1);
  });

  it("treats absent, undefined and empty-stop parameters alike", () => {
    const k = cacheKey(base);
    expect(cacheKey({ ...base, params: { temperature: 0, stop: [], maxTokens: undefined } })).toBe(k);
    expect(cacheKey({ ...base, baseURL: undefined })).toBe(k);
  });
});

describe("defaultCachePath", () => {
  it("prefers the explicit path, then INSTRUCTZERO_CACHE, then XDG_CACHE_HOME, then ~/.cache", () => {
    expect(defaultCachePath({ INSTRUCTZERO_CACHE: "/a.sqlite" }, "/x.sqlite")).toBe("/x.sqlite");
    expect(defaultCachePath({ INSTRUCTZERO_CACHE: "/a.sqlite", XDG_CACHE_HOME: "/xdg" })).toBe("/a.sqlite");
    expect(defaultCachePath({ XDG_CACHE_HOME: "/xdg" })).toBe("/xdg/instructzero/responses.sqlite");
    expect(defaultCachePath({})).toBe(join(homedir(), ".cache", "instructzero", "responses.sqlite"));
  });
});

// storing, replacing and reading answers on both backends: test/store/conformance/cache.test.ts
describe("ResponseCache", () => {
  const dir = mkdtempSync(join(tmpdir(), "iz-cache-"));

  it("turns a file that is not SQLite into a UserError naming it", () => {
    const path = join(dir, "not-a-db.sqlite");
    writeFileSync(
      path,
      "this is certainly not an SQLite database, just some text that is long enough ".repeat(20),
    );
    expect(() => new ResponseCache(path)).toThrow(UserError);
    expect(() => new ResponseCache(path)).toThrow(/not-a-db\.sqlite/);
    expect(() =>
      createBlackBox("openai:gpt-4o-mini", { cachePath: path, baseURL: "http://127.0.0.1:9/v1", env: {} }),
    ).toThrow(/not-a-db\.sqlite/);
  });
});
