/** The README's "Use it from code" example, run as written (with a random test model in ./models/qwen). */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { makeConsumer, PACKAGE_ROOT, runNode } from "../helpers/consumer.js";

/** The first ```js block after the heading "## Use it from code". */
function readmeExample(): string {
  const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
  const at = readme.indexOf("## Use it from code");
  expect(at, "README has a 'Use it from code' section").toBeGreaterThan(0);
  const m = readme.slice(at).match(/```js\n([\s\S]*?)```/);
  expect(m, "the section has a js code block").not.toBeNull();
  return m![1];
}

describe("README: Use it from code", () => {
  it("runs as written and prints the outcome", async () => {
    const dir = makeConsumer("iz-readme-");
    buildTestModel(join(dir, "models", "qwen"), { preset: "micro", seed: 0 });
    writeFileSync(join(dir, "example.mjs"), readmeExample());
    const r = await runNode(dir, "example.mjs");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => /^#\d+ \d\.\d\d /.test(l))).toHaveLength(20);
    expect(lines.at(-2)).toMatch(/^completed /);
    expect(lines.at(-1)).toMatch(/^\d+ calls, \$0, 20 candidates$/);
  }, 60_000);

  it("with store: false writes nothing under HOME (no onnxruntime telemetry), no ledger, no cache", async () => {
    const dir = makeConsumer("iz-readme-nothing-");
    buildTestModel(join(dir, "models", "qwen"), { preset: "micro", seed: 0 });
    const example = readmeExample();
    expect(example).toContain('store: "./runs.sqlite", // or false: in memory, nothing written');
    writeFileSync(join(dir, "example.mjs"), example.replace('store: "./runs.sqlite",', "store: false,"));
    // every path under the folder but the package link (node_modules/instructzero -> this repository)
    const files = () =>
      readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => !f.startsWith("node_modules/"))
        .sort();
    const before = files();
    const r = await runNode(dir, "example.mjs"); // HOME = dir/home, which does not exist yet
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").at(-2)).toMatch(/^completed /);
    // nothing created under the folder (no home/.cache/Microsoft/DeveloperTools, no ledger, no cache)
    // but the generator's prepared graph beside the model's own files (as `model prepare` writes it)
    const created = files().filter((f) => !before.includes(f));
    expect(created.filter((f) => !/^models\/qwen\/onnx\/(embed_tokens|model_embeds)\./.test(f))).toEqual([]);
    expect(files()).not.toContain("home");
  }, 60_000);
});
