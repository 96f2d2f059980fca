/** The README's "Use it from code" example, run as written (with a random test model in ./models/qwen). */
import { readFileSync, writeFileSync } from "node:fs";
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
});
