/**
 * Build a run's stored configuration from the user's options: check them against the schema, then
 * derive what the run must remember (task file path, in-memory examples hash, module hashes, what
 * kind of black box and metric it uses). Everything that can be checked before spending is checked here,
 * so a failing start leaves no run behind.
 */
import { resolve } from "node:path";
import { parseModelId } from "../blackbox/registry.js";
import { definedOnly, parseRunOptions } from "../config/parse.js";
import { PRESETS, type RunConfig, type RunOptions } from "../config/schema.js";
import { isMetricName, METRICS } from "../tasks/metrics.js";
import { isTaskFilePath } from "../tasks/user-file.js";
import { UserError } from "../util/errors.js";
import { getMethod } from "./methods/index.js";
import { fileRef, isModuleFile } from "./user-module.js";

/** Prefix of the `target` of a function black box. */
export const FUNCTION_TARGET_PREFIX = "function:";
/** `metric` of a run scored by a metric function given in code. */
export const FUNCTION_METRIC = "function";
/** Prefix of a judge metric: `judge:provider:model`. */
export const JUDGE_PREFIX = "judge:";

/** What the caller gives besides JSON options (the library's functions, in-memory examples). */
export interface RunConfigExtras {
  /** sha256 of in-memory examples (the task is then stored in the ledger). */
  examplesHash?: string;
  /** The black box is a function given in code. */
  blackBoxFunction?: boolean;
  /** The metric is a function given in code. */
  metricFunction?: boolean;
}

/** A checked, complete run configuration from user options (camelCase option names; see src/config/schema.ts). */
export function makeRunConfig(
  options: RunOptions,
  extras: RunConfigExtras = {},
  where = "options",
): RunConfig {
  const config: RunConfig = parseRunOptions(withPreset(definedOnly(options)), where);
  const method = getMethod(config.method);
  if (extras.examplesHash) config.examplesHash = extras.examplesHash;
  else if (isTaskFilePath(config.task)) config.taskFile = resolve(config.task);
  // paths are stored absolute, so a run resumes from any working directory
  if (config.dataDir !== undefined) config.dataDir = resolve(config.dataDir);
  if (typeof config.cache === "string") config.cache = resolve(config.cache);
  if (!config.generator.startsWith("hf:")) config.generator = resolve(config.generator);

  // black box: a function in code, a module file, or a provider:model id (blackBox overrides target)
  if (extras.blackBoxFunction) {
    config.target = `${FUNCTION_TARGET_PREFIX}${config.blackBoxId ?? "anonymous"}`;
    delete config.blackBox;
  } else if (config.blackBox !== undefined) {
    if (isModuleFile(config.blackBox)) {
      config.blackBoxModule = fileRef(config.blackBox, "black-box module");
      config.blackBox = config.blackBoxModule.path;
      config.target = `${FUNCTION_TARGET_PREFIX}${config.blackBoxId ?? `module-${config.blackBoxModule.sha256.slice(0, 16)}`}`;
    } else {
      parseModelId(config.blackBox);
      config.target = config.blackBox;
      delete config.blackBox;
    }
  } else {
    parseModelId(config.target);
  }
  // pipelined by default, unless the black box shares the cores with the generator (local:)
  config.pipelined ??= !config.target.startsWith("local:");
  if (config.blackBoxId !== undefined && !config.target.startsWith(FUNCTION_TARGET_PREFIX)) {
    throw new UserError(
      `${where}: blackBoxId is for function black boxes; ${config.target} is a provider model`,
    );
  }

  // metric: a function in code, a module file, a judge, a built-in name, or the task's default
  if (extras.metricFunction) config.metric = FUNCTION_METRIC;
  else if (config.metric !== undefined) {
    const m = config.metric;
    if (isModuleFile(m)) {
      config.metricModule = fileRef(m, "metric module");
      config.metric = config.metricModule.path;
    } else if (m.startsWith(JUDGE_PREFIX)) {
      parseModelId(m.slice(JUDGE_PREFIX.length));
      if (!config.rubric) throw new UserError(`${where}: metric ${m} needs a rubric (--rubric FILE)`);
    } else if (!isMetricName(m)) {
      throw new UserError(
        `${where}: unknown metric "${m}" (known: ${METRICS.join(", ")}, judge:provider:model, or a .mjs/.js module file)`,
      );
    }
  }
  if (config.rubric !== undefined && !config.metric?.startsWith(JUDGE_PREFIX)) {
    throw new UserError(`${where}: rubric is only used by a judge metric (metric judge:provider:model)`);
  }
  if (method.usesGenerator && config.vllmModel !== undefined && config.vllmUrl === undefined) {
    throw new UserError(`${where}: vllmModel is set but vllmUrl is not`);
  }
  if (config.demoSearch && !(config.targetDemos > 0)) {
    throw new UserError(
      `${where}: demoSearch searches demonstration sets: set targetDemos K > 0 (--target-demos K)`,
    );
  }
  if (config.demoSearch && !method.usesGenerator) {
    throw new UserError(
      `${where}: demoSearch searches (soft prompt, demonstration set) pairs: method ${config.method} has no soft prompts (use instructzero, uniform or mipro)`,
    );
  }
  return config;
}

/**
 * The options with the preset's values filled in where the option is not given (see PRESETS in
 * src/config/schema.ts): explicit options win, the schema's defaults fill the rest. An unknown preset
 * is left to the schema check (an error naming the field).
 */
export function withPreset<T extends Partial<RunOptions>>(options: T): T {
  const name = options.preset;
  if (name === undefined || !Object.hasOwn(PRESETS, name)) return options;
  const out: Record<string, unknown> = { ...options };
  for (const [k, v] of Object.entries(PRESETS[name as keyof typeof PRESETS]))
    if (out[k] === undefined) out[k] = v;
  return out as T;
}

/** The judge model of a `judge:provider:model` metric, else undefined. */
export function judgeModelOf(config: RunConfig): string | undefined {
  return config.metric?.startsWith(JUDGE_PREFIX) ? config.metric.slice(JUDGE_PREFIX.length) : undefined;
}
