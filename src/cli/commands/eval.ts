import { readFileSync, writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { createBlackBox } from "../../blackbox/client.js";
import { evaluateInstruction } from "../../evaluation/evaluate.js";
import { loadTask } from "../../tasks/load.js";
import { splitTask } from "../../tasks/splits.js";
import type { MetricName } from "../../tasks/types.js";
import { UserError } from "../../util/errors.js";
import { fmtUsd } from "../../util/format.js";
import {
  addBlackBoxOptions,
  addDataOptions,
  addMetricOption,
  blackBoxOptions,
  intOption,
  printDownload,
  type SharedCliOptions,
} from "../shared-options.js";

interface EvalOptions extends SharedCliOptions {
  task: string;
  instruction?: string;
  instructionFile?: string;
  target: string;
  split: "val" | "test";
  seed: number;
  validationSize: number;
  maxTokens: number;
  json?: string | boolean;
}

function splitOption(value: string): "val" | "test" {
  if (value === "val" || value === "validation") return "val";
  if (value === "test") return "test";
  throw new InvalidArgumentError("must be val or test");
}

/** Register `instructzero eval`. */
export function registerEvalCommand(program: Command): void {
  const cmd = program
    .command("eval")
    .description(
      "Score one instruction on a task with a black-box model, zero-shot, using the reference templates and metric.",
    )
    .requiredOption(
      "--task <name|file>",
      "benchmark task name (see `instructzero tasks`) or a .jsonl/.csv file",
    )
    .option("--instruction <text>", "the instruction to score")
    .option("--instruction-file <file>", "read the instruction from a file")
    .requiredOption(
      "--target <provider:model>",
      "black-box model, e.g. openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest",
    )
    .option(
      "--split <val|test>",
      "validation split (20 examples) or test split (up to 100)",
      splitOption,
      "val",
    )
    .option("--seed <n>", "seed of the task split", intOption("--seed"), 0)
    .option("--validation-size <n>", "validation examples", intOption("--validation-size", 1), 20)
    .option("--max-tokens <n>", "max answer tokens per query", intOption("--max-tokens", 1), 64)
    .option(
      "--json [file]",
      "write every example's prompt, output and score as JSON (to stdout without a file)",
    );
  addMetricOption(addDataOptions(addBlackBoxOptions(cmd)));
  cmd.addHelpText(
    "after",
    "\nAPI keys are read from the environment: OPENAI_API_KEY, ANTHROPIC_API_KEY.\n" +
      "Example:\n  instructzero eval --task antonyms --instruction 'Write the opposite of the word.' --target openai:gpt-4o-mini",
  );
  cmd.action(async (opts: EvalOptions) => {
    const instruction = readInstruction(opts);
    const task = await loadTask(opts.task, {
      dataDir: opts.dataDir,
      metric: opts.metric as MetricName,
      onDownload: printDownload,
    });
    const splits = splitTask(task, { seed: opts.seed, validationSize: opts.validationSize });
    const examples = opts.split === "test" ? splits.test : splits.validation;
    const blackBox = createBlackBox(opts.target, blackBoxOptions(opts));
    try {
      const result = await evaluateInstruction(blackBox, instruction, examples, {
        metric: task.metric,
        template: opts.split === "test" ? "test" : "validation",
        maxTokens: opts.maxTokens,
      });
      const report = {
        task: task.name,
        metric: task.metric,
        split: opts.split === "test" ? "test" : "validation",
        target: opts.target,
        ...result,
      };
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      if (typeof opts.json === "string") writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
      const correct = result.scores.filter((s) => s === 1).length;
      const lines = [
        ["task", `${task.name} (${task.metric}, ${report.split} split: ${examples.length} examples)`],
        ["target", opts.target],
        ["instruction", JSON.stringify(instruction)],
        ["score", `${result.score.toFixed(3)} (${correct}/${examples.length} fully correct)`],
        ["calls", `${result.calls} (cache hits ${result.cacheHits})`],
        ["tokens", `${result.inputTokens} in, ${result.outputTokens} out`],
        ["cost", fmtUsd(result.costUsd)],
        ["time", `${(result.ms / 1000).toFixed(1)} s`],
      ];
      if (typeof opts.json === "string") lines.push(["details", opts.json]);
      process.stdout.write(lines.map(([k, v]) => `${k.padEnd(12)}${v}`).join("\n") + "\n");
    } finally {
      await blackBox.close();
    }
  });
}

function readInstruction(opts: EvalOptions): string {
  if (opts.instruction !== undefined && opts.instructionFile !== undefined) {
    throw new UserError("give either --instruction or --instruction-file, not both");
  }
  if (opts.instructionFile !== undefined) {
    try {
      return readFileSync(opts.instructionFile, "utf8").trim();
    } catch (err) {
      throw new UserError(
        `cannot read --instruction-file ${opts.instructionFile}: ${(err as Error).message}`,
      );
    }
  }
  if (opts.instruction === undefined || opts.instruction.trim() === "") {
    throw new UserError("an instruction is required: --instruction TEXT or --instruction-file FILE");
  }
  return opts.instruction;
}
