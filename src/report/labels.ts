/**
 * Readable labels for the report: the run's totals and configuration keys (camelCase field names such
 * as `wallMs` or `costUsd`) as words, with their CLI flag for the options.
 */
import { optionFields } from "../config/fields.js";
import { fmtDuration, fmtInt, fmtUsd } from "../util/format.js";

/** Labels of the totals fields, in the order the report lists them. */
export const TOTAL_LABELS: Readonly<Record<string, string>> = {
  evaluations: "evaluations",
  distinctInstructions: "distinct instructions",
  reused: "reused evaluations (not re-queried)",
  calls: "black-box calls",
  cacheHits: "answers from the cache",
  inputTokens: "input tokens",
  outputTokens: "output tokens",
  costUsd: "black-box cost",
  judgeCalls: "judge calls",
  judgeCacheHits: "judge answers from the cache",
  judgeInputTokens: "judge input tokens",
  judgeOutputTokens: "judge output tokens",
  judgeCostUsd: "judge cost",
  totalCostUsd: "total cost",
  lostCalls: "requests lost in a crash (counted as paid)",
  abandonedCalls: "attempts abandoned at the timeout (counted as paid)",
  wallMs: "wall time",
  generationMs: "generating instructions",
  evaluationMs: "waiting for the black box",
  boMs: "Bayesian optimisation",
};

/** Labels of configuration fields whose words alone would be unclear. */
const CONFIG_LABELS: Readonly<Record<string, string>> = {
  task: "task",
  dataDir: "data folder",
  validationSize: "validation examples",
  demos: "demonstrations",
  target: "target (black box)",
  blackBox: "black box",
  blackBoxId: "black-box cache id",
  baseUrl: "server URL",
  concurrency: "requests in flight",
  timeout: "request timeout (ms)",
  maxRetries: "retries",
  maxTokens: "max answer tokens",
  cache: "response cache",
  metric: "metric",
  rubric: "judge rubric",
  generator: "generator",
  generatorDtype: "generator ONNX variant",
  projection: "projection of z",
  nTokens: "soft-prompt tokens",
  intrinsicDim: "dimension of z",
  instructionTokens: "max instruction tokens",
  vllmUrl: "vLLM server URL",
  vllmModel: "vLLM model",
  method: "method",
  budget: "budget (evaluations)",
  seed: "seed",
  initialPoints: "initial design size",
  batchSize: "batch size",
  batchMode: "batch mode",
  pipelined: "pipelined",
  proposer: "proposer (ape)",
  selection: "selection rule",
  selectionTopK: "candidates re-scored in selection",
  selectionSize: "selection examples (at most)",
  baselines: "your baselines",
  initInstructions: "extra candidates",
  maxCalls: "call limit",
  maxCost: "cost limit (USD)",
  test: "score on the test split",
  taskFile: "task file",
  examplesHash: "examples hash (sha256)",
  blackBoxModule: "black-box module",
  metricModule: "metric module",
};

/** "fooBarBaz" -> "foo bar baz" ("...Ms" -> "... (time)", "...Usd" -> "... (USD)"). */
export function humanize(key: string): string {
  const unit = /Ms$/.test(key) ? " (time)" : /Usd$/.test(key) ? " (USD)" : "";
  const stem = key.replace(/(Ms|Usd)$/, "");
  const words = stem
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/_/g, " ")
    .toLowerCase()
    .trim();
  return `${words || key}${unit}`;
}

/** Readable label of a totals field. */
export function totalLabel(key: string): string {
  return TOTAL_LABELS[key] ?? humanize(key);
}

/** A totals value formatted for its field: dollars, durations, counts. */
export function formatTotal(key: string, value: number | undefined): string {
  if (/Usd$/.test(key)) return fmtUsd(value);
  if (/Ms$/.test(key)) return fmtDuration(value);
  return fmtInt(value);
}

/** The totals as [label, formatted value] rows: known fields in a fixed order, then the others. */
export function totalsRows(totals: Readonly<Record<string, number | undefined>>): [string, string][] {
  const known = Object.keys(TOTAL_LABELS).filter((k) => totals[k] !== undefined);
  const other = Object.keys(totals).filter((k) => !(k in TOTAL_LABELS) && totals[k] !== undefined);
  return [...known, ...other].map((k) => [totalLabel(k), formatTotal(k, totals[k])]);
}

/** Readable label of a configuration field. */
export function configLabel(key: string): string {
  return CONFIG_LABELS[key] ?? humanize(key);
}

/** One configuration row: section, label, CLI flag (options only) and the value as text. */
export interface ConfigRow {
  section: string;
  key: string;
  label: string;
  flag: string | null;
  value: string;
}

function configValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v))
    return v.length === 0 ? "none" : v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("\n");
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.cheaper === "number" && Object.keys(o).length === 1) return `cheaper:${o.cheaper}`;
    if (typeof o.path === "string" && typeof o.sha256 === "string")
      return `${o.path} (sha256 ${o.sha256.slice(0, 12)}…)`;
    return JSON.stringify(v);
  }
  return String(v);
}

/** The flag a user types for an option (booleans on by default: --no-...). */
function displayFlag(f: ReturnType<typeof optionFields>[number]): string {
  if (f.kind === "boolean" && f.default === true) return `--no-${f.flag.slice(2)}`;
  if (f.name === "baselines") return "--baseline / --baseline-file";
  return f.flag;
}

/**
 * The configuration's fields grouped by the schema's sections (task, black box, metric, ...), in schema
 * order; fields that are not options (derived when the run was created, or unknown) come last under
 * "derived". Undefined values are left out.
 */
export function configRows(config: Readonly<Record<string, unknown>>): ConfigRow[] {
  const rows: ConfigRow[] = [];
  const seen = new Set<string>();
  let fields: ReturnType<typeof optionFields> = [];
  try {
    fields = optionFields();
  } catch {
    // an inconsistent schema must not break a report: list every field under "derived" then
  }
  for (const f of fields) {
    seen.add(f.name);
    const v = config[f.name];
    if (v === undefined) continue;
    rows.push({
      section: f.section,
      key: f.name,
      label: configLabel(f.name),
      flag: displayFlag(f),
      value: configValue(v),
    });
  }
  for (const [k, v] of Object.entries(config)) {
    if (seen.has(k) || v === undefined) continue;
    rows.push({ section: "derived", key: k, label: configLabel(k), flag: null, value: configValue(v) });
  }
  return rows;
}
