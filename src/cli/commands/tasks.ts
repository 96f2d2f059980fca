import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { BIGBENCH_PREFIX, ORIGINAL_TASKS } from "../../tasks/catalog.js";
import { resolveDataSource } from "../../tasks/data-source.js";
import { benchmarkTaskNames, loadTask } from "../../tasks/load.js";
import { splitTask } from "../../tasks/splits.js";
import { addDataOptions } from "../shared-options.js";
import { formatTable } from "../table.js";

interface TaskRow {
  name: string;
  source: string;
  metric: string;
  induce: number;
  execute: number;
  promptGen: number;
  validation: number;
  test: number;
  humanInstructions: number;
}

/** Register `instructzero tasks`. */
export function registerTasksCommand(program: Command): void {
  addDataOptions(
    program
      .command("tasks")
      .description(
        "List every benchmark task with its example counts, reference splits and metric.\n" +
          "Your own tasks are .jsonl/.csv files of input/output examples, passed as --task FILE.",
      ),
  )
    .option("--json", "print JSON instead of a table")
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const source = resolveDataSource({ dataDir: opts.dataDir });
      const names = benchmarkTaskNames();
      const bar =
        source.downloads && process.stderr.isTTY
          ? new SingleBar({
              format: "downloading task data [{bar}] {value}/{total} {task}",
              stream: process.stderr,
            })
          : null;
      bar?.start(names.length, 0, { task: "" });
      const rows: TaskRow[] = [];
      for (const name of names) {
        const task = await loadTask(name, { source });
        const s = splitTask(task);
        rows.push({
          name,
          source: task.source,
          metric: task.metric,
          induce: task.induce.length,
          execute: task.execute.length,
          promptGen: s.promptGen.length,
          validation: s.validation.length,
          test: s.test.length,
          humanInstructions: task.humanInstructions?.length ?? 0,
        });
        bar?.increment(1, { task: name });
      }
      bar?.stop();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const header = ["task", "metric", "induce", "test file", "demos pool", "validation", "test", "human"];
      const body = rows.map((r) => [
        r.name,
        r.metric,
        String(r.induce),
        r.execute ? String(r.execute) : "-",
        String(r.promptGen),
        String(r.validation),
        String(r.test),
        r.humanInstructions
          ? "yes"
          : (ORIGINAL_TASKS as readonly string[]).includes(r.name)
            ? "missing"
            : "-",
      ]);
      process.stdout.write(formatTable(header, body));
      const bb = rows.filter((r) => r.name.startsWith(BIGBENCH_PREFIX)).length;
      process.stdout.write(
        `\n${rows.length - bb} instruction-induction tasks, ${bb} BIG-Bench II tasks. ` +
          'Tasks without a test file hold out min(100, n/3) examples as "test".\n',
      );
    });
}
