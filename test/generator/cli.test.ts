import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readDemosFile, registerGenerateCommand } from "../../src/cli/commands/generate.js";
import { registerModelCommand } from "../../src/cli/commands/model.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "./helpers.js";

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err.push(String(s));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function cli(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerModelCommand(program);
  registerGenerateCommand(program);
  await program.parseAsync(["node", "instructzero", ...args]);
}

describe("CLI: model build-test / prepare, generate", () => {
  it("builds, prepares (then reports up to date) and generates from a demos file", async () => {
    const dir = path.join(tempDir(), "m");
    await cli("model", "build-test", dir, "--preset", "micro", "--seed", "3");
    expect(out.join("")).toMatch(/wrote .*micro \(hidden 32, 2 layers/);
    expect(fs.existsSync(path.join(dir, "onnx/model.onnx"))).toBe(true);
    out = [];
    await cli("model", "prepare", dir);
    expect(out.join("")).toMatch(/^prepared: .*model_embeds\.onnx[\s\S]*max \|diff\| 0\.00e\+0/);
    out = [];
    await cli("model", "prepare", dir);
    expect(out.join("")).toMatch(/^up to date/);
    const demos = path.join(tempDir(), "demos.jsonl");
    fs.writeFileSync(demos, '{"input":"hot","output":"cold"}\n\n{"input":"up","output":"down"}\n');
    out = [];
    await cli(
      "generate",
      "--generator",
      dir,
      "--demos",
      demos,
      "--count",
      "3",
      "--max-new-tokens",
      "6",
      "--json",
    );
    const lines = out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const l of lines) {
      expect(l.z).toHaveLength(10);
      expect(l.newTokens).toBeLessThanOrEqual(6);
    }
    expect(err.join("")).toMatch(/3 instructions, prompt \d+ positions/);
  });

  it("q8 test models: build-test --linears q8, prepare and generate with --dtype q8", async () => {
    const dir = path.join(tempDir(), "q8");
    await cli("model", "build-test", dir, "--preset", "micro", "--linears", "q8");
    expect(out.join("")).toMatch(/embedding int8, linears q8/);
    expect(fs.existsSync(path.join(dir, "onnx/model_quantized.onnx"))).toBe(true);
    out = [];
    await cli("model", "prepare", dir, "--dtype", "q8");
    expect(out.join("")).toMatch(/^prepared: .*model_quantized_embeds\.onnx/);
    const demos = path.join(tempDir(), "demos.jsonl");
    fs.writeFileSync(demos, '{"input":"hot","output":"cold"}\n');
    out = [];
    await cli("generate", "--generator", dir, "--dtype", "q8", "--demos", demos, "--count", "2", "--json");
    expect(out.join("").trim().split("\n")).toHaveLength(2);
    await expect(cli("model", "build-test", tempDir(), "--linears", "q4")).rejects.toThrow(/fp32 or q8/);
  });

  it("rejects a bad preset, a missing demos source and malformed demo lines", async () => {
    await expect(cli("model", "build-test", tempDir(), "--preset", "big")).rejects.toThrow(
      /unknown test-model preset "big"/,
    );
    await expect(cli("generate", "--generator", tempDir())).rejects.toThrow(/--task NAME or --demos FILE/);
    const f = path.join(tempDir(), "d.jsonl");
    fs.writeFileSync(f, '{"input":"a"}\n');
    expect(() => readDemosFile(f)).toThrow(UserError);
    expect(() => readDemosFile(f)).toThrow(/d\.jsonl:1: expected/);
    expect(() => readDemosFile(path.join(tempDir(), "none.jsonl"))).toThrow(/demos file not found/);
  });
});
