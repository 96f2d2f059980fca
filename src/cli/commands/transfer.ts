import type { Command } from "commander";
import { RunSession } from "../../session/run-session.js";
import { fmtScore, fmtUsd } from "../../util/format.js";
import { intOption, numberOption } from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

/** Register `instructzero transfer RUN --targets provider:model,...`. */
export function registerTransferCommand(program: Command): void {
  const cmd = program
    .command("transfer")
    .description(
      "Score a finished run's winner, its other top candidates and its baselines on other black boxes\n" +
        "(test split; cached, budgeted, resumable). `show`, `report` and --json then include the transfer table.",
    )
    .argument("<run>", "run id (or a unique prefix)")
    .requiredOption("--targets <list>", "comma-separated provider:model ids", (v: string) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option("--base-url <url>", "OpenAI-compatible server of the targets (default $OPENAI_BASE_URL)")
    .option("--max-calls <n>", "paid requests this transfer may make", intOption("--max-calls", 1))
    .option("--max-cost <usd>", "dollars this transfer may spend", numberOption("--max-cost"))
    .option("--json", "print the transfer table as JSON");
  addLedgerOption(cmd).action(
    async (
      run: string,
      opts: {
        targets: string[];
        baseUrl?: string;
        maxCalls?: number;
        maxCost?: number;
        json?: boolean;
        ledger?: string;
      },
    ) => {
      const session = await RunSession.open({
        runId: run,
        store: ledgerPathOption(opts),
        readOnly: true,
      });
      let lastProgress: string | undefined;
      try {
        const out = await session.transfer(opts.targets, {
          baseURL: opts.baseUrl,
          maxCalls: opts.maxCalls,
          maxCost: opts.maxCost,
          onRow: (r) => {
            if (!opts.json) process.stderr.write(`${r.target}  ${r.name}: ${fmtScore(r.score)}\n`);
          },
          // a line when a target starts, at each quarter of its queries, and at its end
          onProgress: (p) => {
            const quarter = p.total > 0 ? Math.floor((4 * p.done) / p.total) : 4;
            const key = `${p.target} ${quarter}`;
            if (key === lastProgress) return;
            lastProgress = key;
            process.stderr.write(
              `[transfer ${p.target}] ${p.done}/${p.total} queries, calls ${p.spent.calls}, ${fmtUsd(p.spent.costUsd)}\n`,
            );
          },
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return;
        }
        const lines = ["| target | instruction | test score (95% CI) |", "| --- | --- | --- |"];
        for (const r of out.rows)
          lines.push(
            `| ${r.target} | ${r.name} | ${fmtScore(r.score)} (${fmtScore(r.low)} to ${fmtScore(r.high)}) |`,
          );
        process.stdout.write(`${lines.join("\n")}\n`);
        if (out.stopped)
          process.stdout.write(`stopped: ${out.stopped}; run the same command again to continue\n`);
      } finally {
        await session.close();
      }
    },
  );
}
