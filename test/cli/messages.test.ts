/**
 * Messages name options that exist: every `--flag` in a string of the source is a flag of some
 * command (or a flag of another program the message is about), and the API-key message says where a
 * CLI user puts the key.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { runCli } from "../helpers/cli.js";

const SRC = join(import.meta.dirname, "../../src");

/** Flags of other programs that messages mention (vLLM's server), and placeholders of help text. */
const FOREIGN = new Set(["--enable-prompt-embeds", "--api-key", "--help", "--version", "--flag", "--no"]);

function cliFlags(cmd: Command, out = new Set<string>()): Set<string> {
  for (const o of cmd.options) if (o.long) out.add(o.long);
  for (const c of cmd.commands) cliFlags(c, out);
  return out;
}

/** `--flags` inside string literals of the source (comments and CSS custom properties left out). */
function flagsInStrings(): Map<string, string> {
  const out = new Map<string, string>();
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const f of files) {
    const text = readFileSync(join(SRC, f), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .replace(/\s\/\/ .*$/gm, "");
    for (const m of text.matchAll(/(["'`])((?:(?!\1)[^\\\n]|\\.)*)\1/g))
      for (const g of m[2].matchAll(/(?<!var\()--([a-z][a-z0-9-]*[a-z0-9])(?![a-z0-9-]*:)/g))
        out.set(`--${g[1]}`, f);
  }
  return out;
}

describe("messages", () => {
  it("name only options that exist", () => {
    const flags = cliFlags(buildProgram());
    const unknown = [...flagsInStrings()].filter(([flag]) => !flags.has(flag) && !FOREIGN.has(flag));
    expect(unknown).toEqual([]);
    expect(flagsInStrings().size).toBeGreaterThan(40); // the scan does find them
  });

  it("a missing API key: the environment variable, and where code passes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iz-key-"));
    const task = join(dir, "task.jsonl");
    writeFileSync(task, Array.from({ length: 8 }, (_, i) => `{"input":"w${i}","output":"o${i}"}\n`).join(""));
    const r = await runCli(
      ["eval", "--task", task, "--instruction", "x", "--target", "openai:gpt-4o-mini", "--no-cache"],
      { env: { HOME: dir } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPENAI_API_KEY environment variable/);
    expect(r.stderr).toContain("from code: createBlackBox's apiKey option");
  });
});
