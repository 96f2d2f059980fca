/** Read the option schema as data: each field's kind, default and description (for the CLI flags and the docs). */
import { CONFIG_SECTIONS, RunOptionsSchema } from "./schema.js";

/** What the CLI and the docs need to know of one option. */
export interface OptionField {
  /** camelCase name (config file, library). */
  name: string;
  /** The CLI flag: --kebab-case. */
  flag: string;
  section: string;
  kind: "int" | "number" | "boolean" | "string" | "enum" | "boolean-or-string" | "string-array";
  /** Allowed values of an enum. */
  values?: string[];
  /** The default, when the schema has one. */
  default?: unknown;
  description: string;
}

interface ZodLike {
  description?: string;
  def: {
    type: string;
    innerType?: ZodLike;
    defaultValue?: unknown;
    format?: string;
    entries?: object;
    options?: ZodLike[];
  };
}

/** Flags that are not the kebab-case of their option (list options take one value per flag). */
const FLAG_OVERRIDES: Record<string, string> = { baselines: "--baseline" };

/** The CLI flag of an option: --kebab-case of its name, unless overridden. */
export function flagOf(name: string): string {
  return FLAG_OVERRIDES[name] ?? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function fieldOf(name: string, section: string, schema: ZodLike): OptionField {
  let inner = schema;
  let def: unknown;
  let hasDefault = false;
  while (inner.def.type === "default" || inner.def.type === "optional") {
    if (inner.def.type === "default") {
      hasDefault = true;
      def = inner.def.defaultValue;
    }
    inner = inner.def.innerType!;
  }
  const t = inner.def.type;
  const kind: OptionField["kind"] =
    t === "number"
      ? inner.def.format === "safeint"
        ? "int"
        : "number"
      : t === "boolean"
        ? "boolean"
        : t === "enum"
          ? "enum"
          : t === "union"
            ? "boolean-or-string"
            : t === "array"
              ? "string-array"
              : "string";
  return {
    name,
    flag: flagOf(name),
    section,
    kind,
    ...(kind === "enum" ? { values: Object.keys(inner.def.entries ?? {}) } : {}),
    ...(hasDefault ? { default: def } : {}),
    description: schema.description ?? "",
  };
}

/** Every user option, in schema order, with its section. */
export function optionFields(): OptionField[] {
  const out: OptionField[] = [];
  for (const [section, fields] of Object.entries(CONFIG_SECTIONS)) {
    for (const [name, schema] of Object.entries(fields))
      out.push(fieldOf(name, section, schema as unknown as ZodLike));
  }
  const names = new Set(out.map((f) => f.name));
  for (const k of Object.keys(RunOptionsSchema.shape))
    if (!names.has(k)) throw new Error(`option ${k} has no section`);
  return out;
}

/** The options as a markdown table, one row per option, grouped by section (README and docs). */
export function optionsMarkdown(): string {
  const rows = ["| option (`--flag`) | default | meaning |", "| --- | --- | --- |"];
  let section = "";
  for (const f of optionFields()) {
    if (f.section !== section) {
      section = f.section;
      rows.push(`| **${section}** | | |`);
    }
    const def = f.default === undefined ? "" : `\`${JSON.stringify(f.default)}\``;
    const values = f.values ? ` (${f.values.join(" \\| ")})` : "";
    const flag =
      f.kind === "boolean" && f.default === true
        ? `--no-${f.flag.slice(2)}`
        : f.kind === "boolean-or-string"
          ? `${f.flag} FILE\`, \`--no-${f.flag.slice(2)}`
          : f.name === "baselines"
            ? `--baseline TEXT\`, \`--baseline-file FILE`
            : f.name === "initInstructions"
              ? "--init-instructions FILE"
              : f.flag;
    rows.push(`| \`${f.name}\` (\`${flag}\`) | ${def} | ${f.description.replaceAll("|", "\\|")}${values} |`);
  }
  return `${rows.join("\n")}\n`;
}

/** docs/options.md: every run option, generated from the schema (a test checks the file is up to date). */
export function optionsDocument(): string {
  return `# Run options

<!-- generated from src/config/schema.ts by \`npm run docs:options\`; do not edit by hand -->

Every option of a run, in one place. The same names are used by:

- the CLI: \`instructzero optimize --flag\` (\`bench\` too, which sets task, method and seed per cell);
- a \`--config FILE\` (JSON object of these camelCase names; flags given on the command line override it;
  relative paths in it are taken from the file's folder; \`rubric\` is a file there, as on the command line);
- the library: \`optimizeInstruction({ ... })\`, which also takes \`examples\`, a function \`blackBox\`, a
  function or \`judgeMetric(...)\` \`metric\`, \`store\`, \`signal\` and \`onProgress\`;
- the run ledger and reports, which store the options with every default filled in.

Unknown or misspelt names are errors that name the field.

${optionsMarkdown()}`;
}
