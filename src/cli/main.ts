#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { AuthenticationError, BadRequestError, BlackBoxError } from "../blackbox/errors.js";
import { errorMessage, UserError } from "../util/errors.js";
import { redactUrl } from "../util/redact.js";
import { VERSION } from "../version.js";
import { registerBenchCommand } from "./commands/bench.js";
import { registerEvalCommand } from "./commands/eval.js";
import { registerGenerateCommand } from "./commands/generate.js";
import { registerModelCommand } from "./commands/model.js";
import { registerOptimizeCommands } from "./commands/optimize.js";
import { registerReportCommand } from "./commands/report.js";
import { registerRunsCommand } from "./commands/runs.js";
import { registerShowCommand } from "./commands/show.js";
import { registerTasksCommand } from "./commands/tasks.js";
import { registerTransferCommand } from "./commands/transfer.js";
import { registerUiCommand } from "./commands/ui.js";
import { registerWorkerCommand } from "./commands/worker.js";
import { showDownloadProgress } from "./download-progress.js";

/** Build the `instructzero` command tree . */
function buildProgram(): Command {
  const program = new Command();
  program
    .name("instructzero")
    .description(
      "Find the best instruction for a black-box LLM from a few input/output examples\n" +
        "(InstructZero: soft prompts for an open-source generator + Bayesian optimisation).",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    // commander prints usage errors itself (they may repeat an option value such as a URL)
    .configureOutput({ writeErr: (text) => process.stderr.write(redactUrl(text)) })
    // usage errors (unknown option, missing or invalid value) exit 2 like every other input error
    .exitOverride();
  registerTasksCommand(program);
  registerEvalCommand(program);
  registerGenerateCommand(program);
  registerModelCommand(program);
  registerOptimizeCommands(program);
  registerBenchCommand(program);
  registerWorkerCommand(program);
  registerRunsCommand(program);
  registerShowCommand(program);
  registerReportCommand(program);
  registerTransferCommand(program);
  registerUiCommand(program);
  return program;
}

/** Print to stderr, URL credentials removed: the last line of defence for every error shown. */
function printError(text: string): void {
  process.stderr.write(redactUrl(text));
}

/** File-system failures on a path the user gave (an output file in a missing folder, no permission). */
const FILE_ERRORS = new Set([
  "ENOENT",
  "EACCES",
  "EPERM",
  "EISDIR",
  "ENOTDIR",
  "EROFS",
  "EEXIST",
  "ENAMETOOLONG",
]);

function isFileError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as { code?: unknown; path?: unknown } | null;
  return err instanceof Error && typeof e?.path === "string" && FILE_ERRORS.has(String(e.code));
}

/**
 * Exit codes, the same for every command: 0 ok, 1 runtime failure (the provider failed for good,
 * an unexpected error), 2 usage or input error (bad option, file, task, key, model), 130 interrupted
 * (set by the commands that handle Ctrl-C).
 */
async function main(): Promise<void> {
  // model downloads report progress by callback; the CLI draws it (a bar on a terminal, lines in logs)
  showDownloadProgress();
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help / version)
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (
      err instanceof UserError ||
      err instanceof AuthenticationError ||
      err instanceof BadRequestError ||
      isFileError(err)
    ) {
      // The user's input or setup is wrong: the message says what to change.
      printError(`error: ${err.message}\n`);
      process.exitCode = 2;
    } else if (/^SQLITE_(READONLY|CANTOPEN|PERM)/.test(String((err as { code?: unknown })?.code ?? ""))) {
      // A ledger or cache this process may not write (permissions, a read-only mount).
      printError(
        `error: ${errorMessage(err)}: the run ledger or response cache cannot be written; use files you can write (--ledger, --cache) or fix their permissions\n`,
      );
      process.exitCode = 2;
    } else if (err instanceof BlackBoxError) {
      // The provider failed for good (retries exhausted). Answers already received are in the cache.
      printError(
        `error: ${err.message}\n(answers received before the failure are cached: rerun to continue)\n`,
      );
      process.exitCode = 1;
    } else {
      printError(`error: ${errorMessage(err)}\n`);
      if (process.env.INSTRUCTZERO_DEBUG && err instanceof Error) printError(`${err.stack}\n`);
      process.exitCode = 1;
    }
  }
}

await main();
