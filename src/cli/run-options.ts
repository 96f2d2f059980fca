/**
 * The run options as CLI flags, generated from the one schema (src/config/schema.ts): each option is
 * `--kebab-case` of its name, with the schema's description and default. `--config FILE` reads the
 * same fields from JSON; flags given on the command line override the file.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type OptionField, optionFields } from "../config/fields.js";
import { parseObjective } from "../config/objective.js";
import { parseRunOptions } from "../config/parse.js";
import { parsePreference, preferenceError } from "../config/prefer.js";
import type { RunOptions } from "../config/schema.js";
import { methodNames } from "../optimizers/methods/index.js";
import { isModuleFile } from "../optimizers/user-module.js";
import { isTaskFilePath } from "../tasks/user-file.js";
import { errorMessage, UserError } from "../util/errors.js";

/** Argument names shown in --help (default <value>). */
const ARG_NAMES: Record<string, string> = {
  task: "<name|file>",
  dataDir: "<dir>",
  target: "<provider:model>",
  blackBox: "<provider:model|file.mjs>",
  blackBoxId: "<id>",
  baseUrl: "<url>",
  timeout: "<ms>",
  metric: "<name|judge:provider:model|file.mjs>",
  rubric: "<file>",
  generator: "<folder|hf:org/name>",
  generatorDtype: "<dtype>",
  vllmUrl: "<url>",
  vllmModel: "<name>",
  method: "<name>",
  seed: "<n>",
  proposer: "<provider:model>",
  maxCost: "<usd>",
  batchPollMs: "<ms>",
  batchPriceFactor: "<fraction>",
  prefer: "<cheaper:TOL>",
  objective: '<"score - L * usd_per_1k">',
};

/** Options whose values are files (resolved against the config file's folder when relative there). */
const PATH_FIELDS = new Set(["dataDir", "rubric"]);

function parserOf(f: OptionField): ((v: string) => unknown) | undefined {
  if (f.name === "prefer")
    return (v) => {
      const p = parsePreference(v);
      if (!p) throw new InvalidArgumentError(`${f.flag}: ${preferenceError(v)}`);
      return p;
    };
  if (f.name === "objective")
    return (v) => {
      try {
        parseObjective(v);
      } catch (err) {
        throw new InvalidArgumentError(`${f.flag}: ${(err as Error).message}`);
      }
      return v;
    };
  if (f.kind === "int") {
    const min =
      f.name === "seed"
        ? Number.MIN_SAFE_INTEGER
        : ["maxRetries", "batchMaxRetries"].includes(f.name)
          ? 0
          : 1;
    // the seed may be any safe integer: "an integer", not ">= -9007199254740991"
    const what = min === Number.MIN_SAFE_INTEGER ? "an integer" : `an integer >= ${min}`;
    return (v) => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isSafeInteger(n) || n < min)
        throw new InvalidArgumentError(`${f.flag} must be ${what}`);
      return n;
    };
  }
  if (f.kind === "number") {
    return (v) => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n) || n < 0)
        throw new InvalidArgumentError(`${f.flag} must be a number >= 0`);
      return n;
    };
  }
  return undefined;
}

/** Every option's flag by its camelCase name (the schema's descriptions name options that way). */
const FLAGS = new Map(optionFields().map((f) => [f.name, f.flag]));

/**
 * An option's --help text: the schema's description as the CLI says it (other options named by their
 * flags, notes meant for the config file and library left out), with its default when it has one.
 */
function describe(f: OptionField): string {
  let d = f.description
    .replace(/ \(CLI: [^)]*\)/g, "")
    .replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, (w) => FLAGS.get(w) ?? w)
    // "racing true, --stop-at-perfect true" -> "--racing, --stop-at-perfect"
    .replace(/(--[a-z-]+|\b[a-z]+) true\b/g, (m, w: string) => (w.startsWith("--") ? w : FLAGS.get(w)) ?? m);
  if (f.name === "method") d = `search method: ${methodNames().join(" | ")}`;
  if (f.name === "cache")
    d = "response cache file (default $INSTRUCTZERO_CACHE, else ~/.cache/instructzero/responses.sqlite)";
  const shown = Array.isArray(f.default) ? f.default.join(", ") : f.default;
  if (shown !== undefined && shown !== "" && f.kind !== "boolean" && f.kind !== "boolean-or-string")
    d += ` (default ${shown})`;
  return d;
}

/** Add every run option except `omit` to `cmd`, plus `--config FILE`. */
export function addRunOptions(cmd: Command, omit: readonly string[] = []): Command {
  cmd.option("--config <file>", "JSON file of run options (the fields below, camelCase); flags override it");
  for (const f of optionFields()) {
    if (omit.includes(f.name)) continue;
    if (f.kind === "boolean") {
      // both forms, so a flag can override a --config file or a --preset either way
      if (f.default === true) {
        cmd.addOption(new Option(`--no-${f.flag.slice(2)}`, `do not ${describe(f)}`));
        cmd.addOption(new Option(f.flag, "(the default)").hideHelp());
      } else {
        cmd.addOption(new Option(f.flag, describe(f)));
        cmd.addOption(new Option(`--no-${f.flag.slice(2)}`, `(the default) turn off ${f.flag}`).hideHelp());
      }
      continue;
    }
    if (f.kind === "string-array") {
      const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
      if (f.name === "baselines") {
        cmd.addOption(new Option("--baseline <text>", `${describe(f)}; repeatable`).argParser(collect));
        cmd.addOption(
          new Option(
            "--baseline-file <file>",
            "a baseline instruction read from a file (repeatable)",
          ).argParser(collect),
        );
      } else if (f.name === "initInstructions") {
        cmd.addOption(
          new Option(
            "--init-instructions <file>",
            `${describe(f)}: a file, one per line; repeatable`,
          ).argParser(collect),
        );
      } else {
        cmd.addOption(new Option(`${f.flag} <value>`, `${describe(f)}; repeatable`).argParser(collect));
      }
      continue;
    }
    if (f.kind === "boolean-or-string") {
      cmd.addOption(new Option(`${f.flag} <file>`, describe(f)));
      cmd.addOption(new Option(`--no-${f.flag.slice(2)}`, `do not use the ${f.name}`));
      continue;
    }
    const arg =
      ARG_NAMES[f.name] ??
      (f.kind === "enum" ? `<${f.values!.join("|")}>` : `<${f.kind === "string" ? "value" : "n"}>`);
    const o = new Option(`${f.flag} ${arg}`, describe(f));
    if (f.values) o.choices(f.values);
    const p = parserOf(f);
    if (p) o.argParser(p);
    cmd.addOption(o);
  }
  return cmd;
}

/** The run options set on the command line (not defaults), by field name. */
function givenOnCommandLine(cmd: Command, omit: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = cmd.opts() as Record<string, unknown>;
  const given = (key: string) => ["cli", "env"].includes(cmd.getOptionValueSource(key) ?? "");
  for (const f of optionFields()) {
    if (omit.includes(f.name)) continue;
    if (f.name === "baselines") {
      // --baseline TEXT and --baseline-file FILE, in that order
      const texts = given("baseline") ? (values.baseline as string[]) : [];
      const files = given("baselineFile") ? (values.baselineFile as string[]) : [];
      if (texts.length + files.length > 0)
        out.baselines = [...texts, ...files.map((f) => readText(f, "baseline file"))];
      continue;
    }
    if (f.name === "initInstructions") {
      if (given("initInstructions"))
        out.initInstructions = (values.initInstructions as string[]).flatMap(readLines);
      continue;
    }
    if (!given(f.name)) continue;
    out[f.name] = values[f.name];
  }
  return out;
}

/** A file's text, trimmed; UserError naming the file when it cannot be read or is empty. */
function readText(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new UserError(`cannot read ${what} ${resolve(file)}: ${errorMessage(err)}`);
  }
  if (text === "") throw new UserError(`${what} ${resolve(file)} is empty`);
  return text;
}

/** The non-empty lines of an instructions file (one instruction per line). */
function readLines(file: string): string[] {
  const lines = readText(file, "instructions file")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines;
}

/** Read a `--config` file: JSON, an object of run options; relative paths are taken from the file's folder. */
export function readConfigFile(file: string): Record<string, unknown> {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UserError(`cannot read config file ${path}: ${errorMessage(err)}`);
  }
  // the same check as any options, naming the file (unknown fields are errors)
  parseRunOptions(raw, `config file ${path}`);
  const o = { ...(raw as Record<string, unknown>) };
  const base = dirname(path);
  const rel = (v: unknown) => (typeof v === "string" && !isAbsolute(v) ? resolve(base, v) : v);
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (typeof v !== "string") continue;
    if (
      PATH_FIELDS.has(k) ||
      (k === "task" && isTaskFilePath(v)) ||
      ((k === "blackBox" || k === "metric") && isModuleFile(v)) ||
      (k === "generator" && !v.startsWith("hf:")) ||
      k === "cache"
    ) {
      o[k] = rel(v);
    }
  }
  return o;
}

/**
 * The run options of a command: the `--config` file (if any), overridden by flags given on the command
 * line, `rubric` read from its file. The result still needs `makeRunConfig` (which fills defaults).
 */
export function runOptionsFromCli(
  cmd: Command,
  omit: readonly string[] = [],
): RunOptions & Record<string, unknown> {
  const file = (cmd.opts() as { config?: string }).config;
  const merged: Record<string, unknown> = {
    ...(file ? readConfigFile(file) : {}),
    ...givenOnCommandLine(cmd, omit),
  };
  if (typeof merged.rubric === "string") merged.rubric = readText(merged.rubric, "rubric file");
  return merged as RunOptions & Record<string, unknown>;
}
