/** The one run-option schema: strict parsing, documented once, the CLI flags generated from it, migration. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { optionFields, optionsDocument } from "../../src/config/fields.js";
import { migrateConfigV1 } from "../../src/config/migrate.js";
import { parseRunConfig, parseRunOptions } from "../../src/config/parse.js";
import { RunOptionsSchema } from "../../src/config/schema.js";
import { UserError } from "../../src/util/errors.js";
import { runCli } from "../helpers/cli.js";

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error("expected a UserError");
};

describe("run options schema", () => {
  it("fills defaults that reproduce the paper", () => {
    const c = parseRunOptions({ task: "antonyms" });
    expect(c).toMatchObject({
      method: "instructzero",
      budget: 150,
      initialPoints: 25,
      batchSize: 25,
      validationSize: 20,
      demos: 5,
      nTokens: 5,
      intrinsicDim: 10,
      instructionTokens: 128,
      maxTokens: 64,
      test: true,
      cache: true,
    });
  });

  it("names unknown, misspelt and mistyped fields", () => {
    expect(message(() => parseRunOptions({ task: "a", budgt: 5 }))).toBe(
      'options: unknown field "budgt" (did you mean "budget"?)',
    );
    expect(message(() => parseRunOptions({ task: "a", budget: "5" }, "config file x.json"))).toMatch(
      /^config file x\.json: field "budget": .*expected number.*\(got "5"\)$/,
    );
    expect(message(() => parseRunOptions({ task: "a", batchMode: "fast" }))).toMatch(/field "batchMode"/);
    expect(message(() => parseRunOptions({ task: "a", baseUrl: "notaurl" }))).toMatch(/field "baseUrl"/);
    expect(message(() => parseRunOptions({ budget: 3 }))).toMatch(/field "task"/);
    expect(message(() => parseRunConfig({ task: "a", taskFile: 3 }))).toMatch(/field "taskFile"/);
  });

  it("is documented once: every option has a section and a description, docs/options.md is generated from it", () => {
    const fields = optionFields();
    expect(fields.map((f) => f.name).sort()).toEqual(Object.keys(RunOptionsSchema.shape).sort());
    for (const f of fields) expect(f.description.length, f.name).toBeGreaterThan(10);
    const doc = readFileSync(join(import.meta.dirname, "../../docs/options.md"), "utf8");
    expect(doc, "docs/options.md is stale: run `npm run docs:options`").toBe(optionsDocument());
  });

  it("the CLI has a flag for every option, with the schema's description", async () => {
    const r = await runCli(["optimize", "--help"]);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, " ");
    for (const f of optionFields()) {
      const flag = f.kind === "boolean" && f.default === true ? `--no-${f.flag.slice(2)}` : f.flag;
      expect(help, flag).toContain(`${flag} `);
    }
    expect(help).toContain("--config <file>");
  });
});

describe("migrateConfigV1", () => {
  it("renames version-1 fields, maps skipTest and cachePath, fills defaults", () => {
    const c = migrateConfigV1({
      task: "antonyms",
      target: "openai:gpt-4o-mini",
      method: "ape",
      budget: 4,
      seed: 2,
      nTokens: 5,
      intrinsicDim: 10,
      batchMode: "reference",
      initialPoints: 2,
      batchSize: 2,
      validationSize: 5,
      numDemos: 3,
      baseURL: "http://127.0.0.1:1/v1",
      timeoutMs: 1000,
      cache: true,
      cachePath: "/tmp/c.sqlite",
      skipTest: true,
      maxTokens: 64,
    });
    expect(c).toMatchObject({
      demos: 3,
      baseUrl: "http://127.0.0.1:1/v1",
      timeout: 1000,
      cache: "/tmp/c.sqlite",
      test: false,
      instructionTokens: 128,
      // version 1 ran the paper's protocol, with the full post-search phases
      selection: "validation",
      postSearch: "full",
    });
    for (const k of ["numDemos", "baseURL", "timeoutMs", "skipTest", "cachePath"])
      expect(c).not.toHaveProperty(k);
    expect(migrateConfigV1({ task: "a", target: "openai:x", cache: false, cachePath: "/x" }).cache).toBe(
      false,
    );
  });
});

describe("README options table", () => {
  it("names only real options, with the schema's defaults", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const table = readme.slice(
      readme.indexOf("Main `optimize` options"),
      readme.indexOf("## Use it from code"),
    );
    const fields = new Map(optionFields().map((f) => [f.flag, f]));
    const extra = new Set(["--dry-run", "--config", "--ledger", "--no-test", "--no-cache", "--json"]);
    let checked = 0;
    for (const row of table.split("\n").filter((l) => l.startsWith("| `--"))) {
      const [, flagsCell, defaultCell] = row.split(/(?<!\\)\|/).map((c) => c.trim());
      const flags = [...flagsCell.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]);
      const defaults = defaultCell.split(",").map((d) => d.trim().replaceAll("`", ""));
      flags.forEach((flag, i) => {
        expect(fields.has(flag) || extra.has(flag), `${flag} is not an option`).toBe(true);
        const f = fields.get(flag);
        const d = defaults.length === flags.length ? defaults[i] : defaults[0];
        if (
          f?.default !== undefined &&
          f.kind !== "boolean" &&
          f.kind !== "boolean-or-string" &&
          /^[\w:./@-]+$/.test(d)
        ) {
          expect(d, `default of ${flag}`).toBe(String(f.default));
        }
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(20);
  });
});
