import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { exportRun } from "../../report/export.js";
import { renderHtmlReport } from "../../report/html.js";
import { openLedger } from "../../store/ledger.js";
import { UserError } from "../../util/errors.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

/** Register `instructzero report RUN [--out FILE] [--json]`. */
export function registerReportCommand(program: Command): void {
  const cmd = program
    .command("report")
    .description(
      "Write a run's report: a self-contained HTML page (default: ./RUN.html) or, with --json, print the run in the documented JSON format (docs/run-format.md) to standard output, like `eval --json`.",
    )
    .argument("<run>", "run id (or a unique prefix of it); `instructzero runs` lists them")
    .option(
      "--out <file>",
      'output file (default: ./RUN.html; with --json standard output; "-" for standard output)',
    )
    .option("--json", "export the run as JSON instead of HTML");
  addLedgerOption(cmd).action(
    (run: string, opts: { ledger?: string; store?: string; out?: string; json?: boolean }) => {
      const ledger = openLedger(ledgerPathOption(opts), { create: false, readonly: true });
      let text: string;
      let id: string;
      try {
        const exp = exportRun(ledger, run);
        id = exp.run.id;
        text = opts.json ? `${JSON.stringify(exp, null, 2)}\n` : renderHtmlReport(exp);
      } finally {
        ledger.close();
      }
      // JSON goes to standard output unless --out names a file (as `eval --json` prints)
      if (opts.out === "-" || (opts.json && opts.out === undefined)) {
        process.stdout.write(text);
        return;
      }
      const file = resolve(opts.out ?? `${id}.html`);
      try {
        writeFileSync(file, text);
      } catch (err) {
        throw new UserError(`cannot write the report to ${file}: ${(err as Error).message}`);
      }
      process.stdout.write(`wrote ${file}\n`);
    },
  );
}
