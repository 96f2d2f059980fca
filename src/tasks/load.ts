import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../util/errors.js";
import { closest } from "../util/suggest.js";
import { parseBigBenchFile } from "./bigbench.js";
import {
  BIGBENCH_II_TASKS,
  BIGBENCH_PREFIX,
  dataPaths,
  INSTRUCTION_INDUCTION_TASKS,
  ORIGINAL_TASKS,
  TASK_ALIASES,
} from "./catalog.js";
import { type DataOptions, type DataSource, dataFile, resolveDataSource } from "./data-source.js";
import { parseAnnotationsFile, parseInstructionInductionFile } from "./instruction-induction.js";
import { isMetricName, metricForTask } from "./metrics.js";
import type { MetricName, Task } from "./types.js";
import { isTaskFilePath, parseTaskFile, taskNameOfFile } from "./user-file.js";

/** Options of {@link loadTask}. */
export interface LoadTaskOptions extends DataOptions {
  /**
   * Seed for data-level randomness (cause_and_effect sentence order, seeded with this, the task name
   * and the file kind, not the data directory). Default 0.
   */
  seed?: number;
  /** Metric for a user task file (default em); ignored for benchmark tasks unless set explicitly. */
  metric?: MetricName;
  /** A resolved data source (saves resolving it per task). */
  source?: DataSource;
}

/** How a task name resolves. */
export type TaskRef =
  | { kind: "instruction-induction"; name: string }
  | { kind: "bigbench-ii"; name: string }
  | { kind: "file"; path: string };

/**
 * Resolve a task name: a path to a .jsonl/.csv file, `bigbench-ii/NAME` (or `bbii/NAME`), or an
 * instruction-induction task (reference aliases accepted). Unknown names get a UserError with
 * suggestions.
 */
export function resolveTaskRef(name: string): TaskRef {
  if (isTaskFilePath(name)) {
    const path = resolve(name);
    if (!existsSync(path)) throw new UserError(`task file ${path} does not exist`);
    return { kind: "file", path };
  }
  const bb = name.match(/^(?:bigbench-ii|bbii)\/(.+)$/);
  if (bb) {
    if (!BIGBENCH_II_TASKS.includes(bb[1])) throw unknownTask(name);
    return { kind: "bigbench-ii", name: bb[1] };
  }
  const ii = TASK_ALIASES[name] ?? name;
  if (INSTRUCTION_INDUCTION_TASKS.includes(ii)) return { kind: "instruction-induction", name: ii };
  throw unknownTask(name);
}

function unknownTask(name: string): UserError {
  const all = [...INSTRUCTION_INDUCTION_TASKS, ...BIGBENCH_II_TASKS.map((t) => BIGBENCH_PREFIX + t)];
  const near = closest(name, all);
  const hint = near.length ? ` Did you mean ${near.join(", ")}?` : "";
  return new UserError(
    `unknown task "${name}".${hint} Run \`instructzero tasks\` for the list, or pass a .jsonl/.csv file of input/output examples.`,
  );
}

/** Load a task by name or file path (see {@link resolveTaskRef}), downloading benchmark data if needed. */
export async function loadTask(name: string, options: LoadTaskOptions = {}): Promise<Task> {
  const ref = resolveTaskRef(name);
  if (options.metric !== undefined && !isMetricName(options.metric)) {
    throw new UserError(`unknown metric "${options.metric}" (known: em, f1, es, contains)`);
  }
  if (ref.kind === "file") {
    return {
      name: taskNameOfFile(ref.path),
      source: "file",
      metric: options.metric ?? "em",
      induce: parseTaskFile(ref.path),
      execute: [],
    };
  }
  const source = options.source ?? resolveDataSource(options);
  if (ref.kind === "bigbench-ii") {
    const path = (await dataFile(source, dataPaths.bigbench(ref.name)))!;
    return {
      name: BIGBENCH_PREFIX + ref.name,
      source: "bigbench-ii",
      metric: options.metric ?? "em",
      induce: parseBigBenchFile(path),
      execute: [],
    };
  }
  const seed = options.seed ?? 0;
  const induce = (await dataFile(source, dataPaths.induce(ref.name)))!;
  const execute = await dataFile(source, dataPaths.execute(ref.name), { optional: true });
  const hasAnnotations = (ORIGINAL_TASKS as readonly string[]).includes(ref.name);
  const annotations = hasAnnotations
    ? await dataFile(source, dataPaths.annotations(ref.name), { optional: true })
    : null;
  return {
    name: ref.name,
    source: "instruction-induction",
    metric: options.metric ?? metricForTask(ref.name),
    induce: parseInstructionInductionFile(induce, ref.name, seed, "induce"),
    execute: execute ? parseInstructionInductionFile(execute, ref.name, seed, "execute") : [],
    humanInstructions: annotations ? parseAnnotationsFile(annotations) : undefined,
  };
}

/** Every benchmark task name: instruction-induction first, then `bigbench-ii/...`. */
export function benchmarkTaskNames(): string[] {
  return [...INSTRUCTION_INDUCTION_TASKS, ...BIGBENCH_II_TASKS.map((t) => BIGBENCH_PREFIX + t)];
}
