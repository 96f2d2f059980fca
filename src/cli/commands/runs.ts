import { existsSync } from "node:fs";
import type { Command } from "commander";
import { isFileLocation, ledgerLocation } from "../../db/location.js";
import { runsTable } from "../../report/text.js";
import { openLedger } from "../../store/ledger.js";
import { deleteRuns, matchingRuns, type RunFilter } from "../../store/queries.js";
import { RUN_STATUSES, type RunStatus, type RunSummary } from "../../store/types.js";
import { UserError } from "../../util/errors.js";
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

interface RunsFlags {
  ledger?: string;
  store?: string;
  json?: boolean;
  status?: string;
  task?: string;
  method?: string;
  target?: string;
  since?: string;
  until?: string;
  prune?: string;
  dryRun?: boolean;
}

/** A run status given on the command line (`--status`, `--prune`), or a UserError listing them. */
function statusOption(flag: string, value: string | undefined): RunStatus | undefined {
  if (value === undefined) return undefined;
  if ((RUN_STATUSES as readonly string[]).includes(value)) return value as RunStatus;
  throw new UserError(
    `${flag} ${JSON.stringify(value)} is not a run status: one of ${RUN_STATUSES.join(", ")}`,
  );
}

/** Register `instructzero runs`. */
export function registerRunsCommand(program: Command): void {
  const cmd = program
    .command("runs")
    .description(
      "List the optimisation runs recorded in the run ledger (filters combine), or delete some with --prune.",
    )
    .option("--json", "print the list as JSON")
    .option("--status <status>", `only runs with this status (${RUN_STATUSES.join(", ")})`)
    .option("--task <task>", "only runs of this task (as `runs` shows it)")
    .option("--method <method>", "only runs of this method")
    .option("--target <target>", "only runs of this black box (provider:model)")
    .option("--since <date>", "only runs created at or after this date (YYYY-MM-DD, UTC) or ISO time")
    .option("--until <date>", "only runs created before this date (YYYY-MM-DD, UTC) or ISO time")
    .option(
      "--prune <status>",
      "delete the runs with this status (and the other filters), with all their rows, in one transaction",
    )
    .option("--dry-run", "with --prune: list what would be deleted, delete nothing");
  addLedgerOption(cmd).action((opts: RunsFlags) => {
    const status = statusOption("--status", opts.status);
    const prune = statusOption("--prune", opts.prune);
    if (prune && status && prune !== status)
      throw new UserError(`--prune ${prune} and --status ${status} disagree: give one`);
    if (opts.dryRun && !prune) throw new UserError("--dry-run goes with --prune");
    const filter: RunFilter = {
      ...((prune ?? status) ? { status: prune ?? status } : {}),
      ...(opts.task ? { task: opts.task } : {}),
      ...(opts.method ? { method: opts.method } : {}),
      ...(opts.target ? { target: opts.target } : {}),
      ...(opts.since ? { since: opts.since } : {}),
      ...(opts.until ? { until: opts.until } : {}),
    };
    const path = ledgerPathOption(opts);
    if (isFileLocation(path) && !existsSync(path)) {
      if (prune) process.stdout.write(`Nothing to prune (no ledger at ${path}).\n`);
      else process.stdout.write(opts.json ? "[]\n" : `No runs yet (no ledger at ${path}).\n`);
      return;
    }
    // a Postgres store is opened (and its tables created) like a new ledger file would be
    const ledger = openLedger(path, {
      create: !isFileLocation(path),
      readonly: !prune || opts.dryRun === true,
    });
    try {
      const filtered = Object.keys(filter).length > 0;
      const runs: RunSummary[] = filtered ? matchingRuns(ledger, filter).map(summaryOf) : ledger.listRuns();
      if (prune) {
        const ids = runs.map((r) => r.id);
        const n = opts.dryRun ? 0 : deleteRuns(ledger, ids);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ dryRun: opts.dryRun === true, runs: ids }, null, 2)}\n`);
          return;
        }
        for (const id of ids) process.stdout.write(`${opts.dryRun ? "would delete" : "deleted"} ${id}\n`);
        process.stdout.write(
          opts.dryRun
            ? `${ids.length} ${ids.length === 1 ? "run" : "runs"} would be deleted (dry run: nothing deleted)\n`
            : `${n} ${n === 1 ? "run" : "runs"} deleted from ${ledger.path}\n`,
        );
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      } else if (runs.length === 0) {
        process.stdout.write(filtered ? "No runs match.\n" : `No runs yet in ${ledger.path}.\n`);
      } else {
        const { header, rows } = runsTable(runs);
        process.stdout.write(formatTable(header, rows));
      }
    } finally {
      ledger.close();
    }
  });
}

/** A row of {@link matchingRuns} as `runs --json` prints it (the RunSummary fields). */
function summaryOf(r: RunSummary & { budget: number; seed: number }): RunSummary {
  const { budget: _b, seed: _s, ...summary } = r;
  return summary;
}
