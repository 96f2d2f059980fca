import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { BIGBENCH_PREFIX, ORIGINAL_TASKS } from "../../tasks/catalog.js";
import { resolveDataSource } from "../../tasks/data-source.js";
import { cleanTaskExamples } from "../../tasks/hygiene.js";
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
  /** Induce examples merged into an earlier one with the same input (after trimming whitespace). */
  duplicateInputs: number;
  /** Test-file examples merged into an earlier one with the same input. */
  duplicateTestInputs: number;
  /** Distinct induce inputs also in the test file (kept out of demos and validation). */
  alsoInTestFile: number;
  /** The split notes (cleaning, short validation set). */
  notes: string[];
}

/** Register `instructzero tasks`. */
export function registerTasksCommand(program: Command): void {
  addDataOptions(
    program
      .command("tasks")
      .description(
        "List every benchmark task with its example counts, reference splits and metric. The list also " +
          "says what the data needed cleaning: duplicate inputs merged, inputs also in the test file " +
          "kept out of demos and validation.\n\n" +
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
        const clean = cleanTaskExamples(task);
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
          duplicateInputs: clean.induceDuplicates,
          duplicateTestInputs: clean.executeDuplicates,
          alsoInTestFile: clean.overlap,
          notes: s.notes ?? [],
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
      // One line per task whose data was cleaned or whose validation set is short.
      const noted = rows.filter((r) => r.notes.length > 0);
      if (noted.length > 0) {
        process.stdout.write("\nNotes:\n");
        for (const r of noted) process.stdout.write(`  ${r.name}: ${r.notes.join("; ")}\n`);
      }
      const bb = rows.filter((r) => r.name.startsWith(BIGBENCH_PREFIX)).length;
      process.stdout.write(
        `\n${rows.length - bb} instruction-induction tasks, ${bb} BIG-Bench II tasks. ` +
          'Tasks without a test file hold out min(100, n/3) examples as "test".\n' +
          '"induce" and "test file" count the examples in the files. Before splitting, examples with the\n' +
          "same input (after trimming whitespace) are merged (first occurrence kept, accepted answers\n" +
          "united), and induce inputs also in the test file are removed from demos and validation: the\n" +
          "test file is the benchmark's fixed test set, so only its own duplicates are merged.\n",
      );
    });
}
