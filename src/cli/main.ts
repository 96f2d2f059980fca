#!/usr/bin/env node
import { CommanderError } from "commander";
import { AuthenticationError, BadRequestError, BlackBoxError, HaltedError } from "../blackbox/errors.js";
import { LockLostError } from "../store/ledger.js";
import { errorMessage, UserError } from "../util/errors.js";
import { hasUrlPassword, redactUrl } from "../util/redact.js";
import { UserCodeError } from "../util/user-code-error.js";
import { showDownloadProgress } from "./download-progress.js";
import { buildProgram } from "./program.js";

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
 * A reader that stops early (`instructzero tasks | head`) closes the pipe: the rest of the output has
 * nowhere to go, so the command ends quietly (exit 0) instead of crashing with EPIPE.
 */
function quietOnClosedStdout(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

/**
 * A password in a command-line argument (`--store postgres://user:secret@host/db`) is readable by every
 * user of the machine in the process list: say so once, and where to put it instead.
 */
function warnPasswordOnCommandLine(args: readonly string[]): void {
  if (!args.some(hasUrlPassword)) return;
  process.stderr.write(
    "warning: a password given on the command line (e.g. in --store) is visible to every user of this machine " +
      "in the process list; leave it out of the URL and set PGPASSWORD or use ~/.pgpass, or give the whole URL " +
      "in INSTRUCTZERO_STORE\n",
  );
}

/**
 * Exit codes, the same for every command: 0 ok, 1 runtime failure (the provider failed for good,
 * an unexpected error), 2 usage or input error (bad option, file, task, key, model), 130 interrupted
 * (set by the commands that handle Ctrl-C), 3 the run was taken over by another process while this one
 * was paused or stalled (LockLostError: it stood down without writing).
 */
async function main(): Promise<void> {
  quietOnClosedStdout();
  warnPasswordOnCommandLine(process.argv.slice(2));
  // model downloads report progress by callback; the CLI draws it (a bar on a terminal, lines in logs)
  showDownloadProgress();
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (thrown) {
    // a call stopped because an earlier one failed for good: report that first failure
    const err = thrown instanceof HaltedError ? thrown.first : thrown;
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help / version)
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof LockLostError) {
      // paused or stalled past the lock's staleness limit, and the run was taken over meanwhile
      printError(`error: ${err.message}\n`);
      process.exitCode = 3;
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
    } else if (err instanceof UserCodeError) {
      // The user's own module failed: the message names the file and where it ran.
      printError(`error: ${err.message}\n`);
      if (!process.env.INSTRUCTZERO_DEBUG)
        printError("(INSTRUCTZERO_DEBUG=1 prints the stack trace, with the line of your code)\n");
      process.exitCode = 1;
    } else {
      printError(`error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    }
    // INSTRUCTZERO_DEBUG=1: the stack trace too (and its cause's), for a bug report (README, Exit codes)
    if (process.env.INSTRUCTZERO_DEBUG && err instanceof Error && err.stack) {
      printError(`${err.stack}\n`);
      const cause = err.cause;
      if (cause instanceof Error && cause.stack) printError(`caused by: ${cause.stack}\n`);
    }
  }
}

await main();
