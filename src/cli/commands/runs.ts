import { existsSync } from "node:fs";
import type { Command } from "commander";
import { isFileLocation, ledgerLocation } from "../../db/location.js";
import { runsTable } from "../../report/text.js";
import { openLedger } from "../../store/ledger.js";
import { formatTable } from "../table.js";

/**
 * Add `--ledger <file>` (the run ledger; default `defaultLedgerPath()`) and `--store <url>` (a
 * PostgreSQL database holding the ledger and the response cache, shared by many machines) to a command.
 */
export function addLedgerOption(cmd: Command): Command {
  return cmd
    .option(
      "--ledger <file>",
      "run ledger file (default $INSTRUCTZERO_STORE, else $INSTRUCTZERO_HOME/runs.sqlite, else ~/.instructzero/runs.sqlite); a postgres:// URL works too",
    )
    .option(
      "--store <url>",
      "the run store: postgres://user:password@host:port/database (run ledger and response cache in one database, shared by many machines) or a ledger file [$INSTRUCTZERO_STORE]",
    );
}

/**
 * The ledger chosen by `--store` / `--ledger`, else INSTRUCTZERO_STORE, else the default file: an
 * absolute file path, or a postgres:// URL as given (it may hold a password: never print it; the
 * ledger's `path` is the URL without it).
 */
export function ledgerPathOption(
  opts: { ledger?: string; store?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  return ledgerLocation(opts, env);
}

/** Register `instructzero runs`. */
export function registerRunsCommand(program: Command): void {
  const cmd = program
    .command("runs")
    .description("List the optimisation runs recorded in the run ledger.")
    .option("--json", "print the list as JSON");
  addLedgerOption(cmd).action((opts: { ledger?: string; store?: string; json?: boolean }) => {
    const path = ledgerPathOption(opts);
    if (isFileLocation(path) && !existsSync(path)) {
      process.stdout.write(opts.json ? "[]\n" : `No runs yet (no ledger at ${path}).\n`);
      return;
    }
    // a Postgres store is opened (and its tables created) like a new ledger file would be
    const ledger = openLedger(path, { create: !isFileLocation(path), readonly: true });
    try {
      const runs = ledger.listRuns();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      } else if (runs.length === 0) {
        process.stdout.write(`No runs yet in ${ledger.path}.\n`);
      } else {
        const { header, rows } = runsTable(runs);
        process.stdout.write(formatTable(header, rows));
      }
    } finally {
      ledger.close();
    }
  });
}
