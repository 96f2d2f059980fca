import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { methodNames } from "../../optimizers/methods/index.js";
import { openRunDeps } from "../../optimizers/setup.js";
import { runSweep, summarizeSweep, sweepCsv, sweepMarkdown } from "../../optimizers/sweep.js";
import { renderSweepHtml } from "../../report/sweep-html.js";
import { openLedger } from "../../store/ledger.js";
import type { RunConfig } from "../../store/types.js";
import { VERSION } from "../../version.js";
import { addRunOptions } from "../run-options.js";
import { runConfigFromCommand } from "./optimize.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

interface BenchOptions {
  tasks: string[];
  methods: RunConfig["method"][];
  seeds: number[];
  csv?: string;
  markdown?: string;
  html?: string;
  ledger?: string;
}

const BENCH_OMIT = ["task", "method", "seed"];

function list(v: string): string[] {
  const items = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError("must be a comma-separated list");
  return items;
}

function methods(v: string): RunConfig["method"][] {
  const ms = list(v);
  for (const m of ms)
    if (!methodNames().includes(m))
      throw new InvalidArgumentError(`unknown method "${m}" (known: ${methodNames().join(", ")})`);
  return ms;
}

function seeds(v: string): number[] {
  return list(v).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`seed "${s}" is not an integer >= 0`);
    return n;
  });
}

/** Register `instructzero bench`. */
export function registerBenchCommand(program: Command): void {
  const cmd = program
    .command("bench")
    .description(
      "Run a grid of tasks x methods x seeds and print the test score as mean ± s.e. per task and method\n" +
        "(markdown, like the paper's tables; --csv for every cell). Every cell is an ordinary run in the ledger:\n" +
        "rerunning the same command resumes unfinished cells and reuses finished ones.",
    )
    .requiredOption("--tasks <a,b,c>", "tasks (names or .jsonl/.csv files)", list)
    .option("--methods <list>", `methods: ${methodNames().join(", ")}`, methods, methodNames())
    .option("--seeds <list>", "seeds", seeds, [0, 1, 2])
    .option("--csv <file>", "write every cell (run id, scores, calls, cost) as CSV")
    .option("--markdown <file>", "also write the markdown table to a file")
    .option(
      "--html <file>",
      "also write a self-contained HTML report: per task, each method's mean ± s.e. with interval bars and win/tie/loss against each baseline",
    );
  // `bench` sets task, method and seed per cell.
  addLedgerOption(addRunOptions(cmd, BENCH_OMIT));
  cmd.action(async (opts: BenchOptions, command: Command) => {
    const ledger = openLedger(ledgerPathOption(opts));
    try {
      const cells = await runSweep(
        { tasks: opts.tasks, methods: opts.methods, seeds: opts.seeds },
        (task, method, seed) => runConfigFromCommand(command, { task, method, seed }, BENCH_OMIT),
        ledger,
        (config) => openRunDeps(config, ledger),
        (cell, done, total) =>
          process.stderr.write(
            `[${done}/${total}] ${cell.task} ${cell.method} seed ${cell.seed}: test ${cell.test?.toFixed(3) ?? "-"} (run ${cell.runId}, ${cell.status})\n`,
          ),
      );
      const rows = summarizeSweep(cells);
      const table = sweepMarkdown(rows, opts.methods);
      process.stdout.write(table);
      if (opts.markdown) writeFileSync(opts.markdown, table);
      if (opts.html)
        writeFileSync(
          opts.html,
          renderSweepHtml(cells, rows, {
            methods: opts.methods,
            generatedAt: new Date().toISOString(),
            producer: `instructzero ${VERSION}`,
          }),
        );
      if (opts.csv) writeFileSync(opts.csv, sweepCsv(cells));
    } finally {
      ledger.close();
    }
  });
}
