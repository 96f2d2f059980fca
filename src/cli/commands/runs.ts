import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { runsTable } from "../../report/text.js";
import { defaultLedgerPath, openLedger } from "../../store/ledger.js";
import { formatTable } from "../table.js";

/** Add `--ledger <file>` (the run ledger; default `defaultLedgerPath()`) to a command. */
export function addLedgerOption(cmd: Command): Command {
  return cmd.option(
    "--ledger <file>",
    "run ledger file (default $INSTRUCTZERO_HOME/runs.sqlite, else ~/.instructzero/runs.sqlite)",
  );
}

/** The ledger path chosen by `--ledger` or the default. */
export function ledgerPathOption(opts: { ledger?: string }): string {
  return resolve(opts.ledger ?? defaultLedgerPath());
}

/** Register `instructzero runs`. */
export function registerRunsCommand(program: Command): void {
  const cmd = program
    .command("runs")
    .description("list the optimisation runs recorded in the run ledger")
    .option("--json", "print the list as JSON");
  addLedgerOption(cmd).action((opts: { ledger?: string; json?: boolean }) => {
    const path = ledgerPathOption(opts);
    if (!existsSync(path)) {
      process.stdout.write(opts.json ? "[]\n" : `No runs yet (no ledger at ${path}).\n`);
      return;
    }
    const ledger = openLedger(path, { create: false, readonly: true });
    try {
      const runs = ledger.listRuns();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      } else if (runs.length === 0) {
        process.stdout.write(`No runs yet in ${path}.\n`);
      } else {
        const { header, rows } = runsTable(runs);
        process.stdout.write(formatTable(header, rows));
      }
    } finally {
      ledger.close();
    }
  });
}
