/**
 * `--help` of every command reads as text: no line break inside a sentence (descriptions are wrapped
 * by commander, to any width), nothing wider than the terminal, no empty or JSON defaults, option
 * messages in plain words; the root help documents the environment (INSTRUCTZERO_DEBUG among it).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, Help } from "commander";
import { describe, expect, it } from "vitest";
import { reflow } from "../../src/cli/help.js";
import { buildProgram } from "../../src/cli/program.js";
import { runCli } from "../helpers/cli.js";

/** Every command of the tree, with its full name. */
function commands(cmd: Command, prefix = ""): [string, Command][] {
  const name = prefix ? `${prefix} ${cmd.name()}` : cmd.name();
  return [[name, cmd], ...cmd.commands.flatMap((c) => commands(c, name))];
}

/** `cmd`'s help as commander renders it on a terminal `width` columns wide. */
function helpAt(cmd: Command, width: number): string {
  cmd.configureOutput({ getOutHelpWidth: () => width, getOutHasColors: () => false });
  return cmd.helpInformation();
}

const ALL = commands(buildProgram());

describe("--help", () => {
  it("covers every command", () => {
    const names = ALL.map(([n]) => n);
    for (const c of ["optimize", "resume", "bench", "worker", "runs", "show", "report", "transfer", "eval"])
      expect(names).toContain(`instructzero ${c}`);
    expect(names).toContain("instructzero model prepare");
  });

  it.each(ALL)("%s: no line break inside a sentence, at any width", (_name, cmd) => {
    // so wide that nothing wraps: every remaining line break is in the text itself
    const lines = helpAt(cmd, 100_000).split("\n");
    lines.forEach((line, i) => {
      const where = `line ${i + 1}: ${JSON.stringify(line)}`;
      if (line.trim() === "") return;
      const indent = line.length - line.trimStart().length;
      // headings, items ("  --flag  description", "  command  description") and paragraphs only
      expect([0, 2], where).toContain(indent);
      if (indent === 0 && !/^(Usage|Options|Arguments|Commands):/.test(line)) {
        // a description paragraph: one line, between blank lines
        expect(lines[i - 1]?.trim() ?? "", where).toBe("");
        expect(lines[i + 1]?.trim() ?? "", where).toBe("");
      }
    });
  });

  it.each(ALL)("%s: fits 80 columns, no empty or JSON defaults, plain words", (_name, cmd) => {
    const text = helpAt(cmd, 80);
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(text).not.toMatch(/\(default:? \)/);
    expect(text).not.toMatch(/default:? [[{]/);
    expect(text).not.toContain("do not:");
    expect(text).not.toContain("9007199254740991");
    expect(text).not.toMatch(/\(CLI: /);
  });

  it("shows list defaults as lists and says --no-test in words", () => {
    const bench = ALL.find(([n]) => n === "instructzero bench")?.[1] as Command;
    const text = helpAt(bench, 200).replace(/\s+/g, " ");
    expect(text).toContain("(default: instructzero,uniform,ape)");
    expect(text).toContain("(default: 0,1,2)");
    const optimize = ALL.find(([n]) => n === "instructzero optimize")?.[1] as Command;
    const opt = helpAt(optimize, 200).replace(/\s+/g, " ");
    expect(opt).toContain("--no-test do not score the chosen instruction on the test split");
    expect(opt).toMatch(/--baseline <text> your own instructions [^(]*; repeatable --baseline-file/);
  });

  it("lists each command by its first sentence", () => {
    const root = helpAt(ALL[0][1], 1000);
    expect(root).toMatch(/ {2}optimize \[options\] +Find the best instruction .* budget of evaluations\.\n/);
    expect(root).not.toContain("Defaults reproduce the paper");
  });

  it("keeps paragraphs and joins the lines of one", () => {
    expect(reflow("one\ntwo.\n\n  three\nfour")).toBe("one two.\n\nthree four");
    expect(new Help().boxWrap(reflow("a\nb"), 80)).toBe("a b");
  });

  it("documents the environment, INSTRUCTZERO_DEBUG among it, and the exit codes", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Environment:$/m);
    for (const v of ["OPENAI_API_KEY", "INSTRUCTZERO_STORE", "HF_HUB_OFFLINE", "INSTRUCTZERO_DEBUG=1"])
      expect(r.stdout).toContain(v);
    expect(r.stdout).toMatch(/Exit codes: 0 done/);
    for (const line of r.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

describe("option messages", () => {
  it("--seed takes any integer and says so", async () => {
    const r = await runCli(["optimize", "--task", "antonyms", "--seed", "1.5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--seed must be an integer\n");
    const b = await runCli(["optimize", "--task", "antonyms", "--budget", "0"]);
    expect(b.stderr).toContain("--budget must be an integer >= 1");
  });

  it("INSTRUCTZERO_DEBUG=1 adds the stack trace after any error's message", async () => {
    const args = ["show", "no-such-run", "--ledger", join(tmpdir(), "iz-no-such-folder", "runs.sqlite")];
    const plain = await runCli(args);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^error: /);
    expect(plain.stderr).not.toMatch(/\n {4}at /);
    const debug = await runCli(args, { env: { INSTRUCTZERO_DEBUG: "1" } });
    expect(debug.code).toBe(2);
    expect(debug.stderr.startsWith(plain.stderr)).toBe(true);
    expect(debug.stderr).toMatch(/\n {4}at /);
  });
});
