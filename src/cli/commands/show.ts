import type { Command } from "commander";
import { exportRun } from "../../report/export.js";
import { formatRunDetails } from "../../report/text.js";
import { openLedger } from "../../store/ledger.js";
import { intOption } from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

/** Register `instructzero show RUN`. */
export function registerShowCommand(program: Command): void {
  const cmd = program
    .command("show")
    .description("Print one run: config, status, best instruction, scores, cost and top instructions.")
    .argument("<run>", "run id (or a unique prefix of it); `instructzero runs` lists them")
    .option("--top <n>", "how many of the best instructions to list", intOption("--top", 0), 10);
  addLedgerOption(cmd).action((run: string, opts: { ledger?: string; store?: string; top: number }) => {
    const ledger = openLedger(ledgerPathOption(opts), { create: false, readonly: true });
    try {
      process.stdout.write(formatRunDetails(exportRun(ledger, run), opts.top));
    } finally {
      ledger.close();
    }
  });
}
