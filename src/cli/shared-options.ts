import { type Command, InvalidArgumentError, Option } from "commander";
import type { BlackBoxOptions } from "../blackbox/options.js";
import type { DataOptions } from "../tasks/data-source.js";
import { isMetricName } from "../tasks/metrics.js";
import type { MetricName } from "../tasks/types.js";

/** Parse a non-negative integer option. */
export function intOption(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

/** Parse a non-negative number option. */
export function numberOption(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0`);
    return n;
  };
}

function metricOption(value: string): MetricName {
  if (!isMetricName(value)) throw new InvalidArgumentError("must be one of em, f1, es, contains");
  return value;
}

/** --data-dir (benchmark data location). */
export function addDataOptions(cmd: Command): Command {
  return cmd.option(
    "--data-dir <dir>",
    "local benchmark data directory (default: $INSTRUCTZERO_DATA, else downloaded once into ~/.cache/instructzero/data)",
  );
}

/** --metric for user task files. */
export function addMetricOption(cmd: Command): Command {
  return cmd.option(
    "--metric <name>",
    "metric for a user task file: em, f1, es or contains (default em)",
    metricOption,
  );
}

/** Options shared by every command that talks to a black box. */
export function addBlackBoxOptions(cmd: Command): Command {
  return cmd
    .option(
      "--base-url <url>",
      "OpenAI-compatible server URL (default $OPENAI_BASE_URL; Anthropic: $ANTHROPIC_BASE_URL)",
    )
    .option(
      "--concurrency <n>",
      "black-box requests in flight at once (default 8; local: models 40, the batch they decode together: two candidates' validation queries)",
      intOption("--concurrency", 1),
    )
    .option("--timeout <ms>", "per-request timeout in milliseconds", intOption("--timeout", 1), 60_000)
    .option(
      "--max-retries <n>",
      "retries after transient errors (429, 5xx, timeouts)",
      intOption("--max-retries"),
      6,
    )
    .option(
      "--cache <file>",
      "response cache file (default $INSTRUCTZERO_CACHE, else ~/.cache/instructzero/responses.sqlite)",
    )
    .addOption(new Option("--no-cache", "do not read or write the response cache"));
}

/** Parsed shared options. */
export interface SharedCliOptions {
  dataDir?: string;
  metric?: MetricName;
  baseUrl?: string;
  concurrency?: number;
  timeout: number;
  maxRetries: number;
  cache: string | boolean;
}

/** Data options from parsed CLI options. */
export function dataOptions(
  o: Pick<SharedCliOptions, "dataDir">,
  onDownload?: DataOptions["onDownload"],
): DataOptions {
  return { dataDir: o.dataDir, onDownload };
}

/** Black-box options from parsed CLI options. API keys come from the environment only. */
export function blackBoxOptions(o: SharedCliOptions): BlackBoxOptions {
  return {
    baseURL: o.baseUrl,
    concurrency: o.concurrency,
    timeoutMs: o.timeout,
    maxRetries: o.maxRetries,
    cache: o.cache !== false,
    cachePath: typeof o.cache === "string" ? o.cache : undefined,
  };
}

/** A stderr line per downloaded data file (the data is fetched once, then cached). */
export function printDownload(event: { path: string; bytes: number }): void {
  process.stderr.write(`downloaded ${event.path} (${(event.bytes / 1024).toFixed(0)} KB)\n`);
}
