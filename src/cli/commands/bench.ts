import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { isPostgresUrl } from "../../db/location.js";
import { defaultSweepMethods, methodNames } from "../../optimizers/methods/index.js";
import { loadRunTaskForPlan } from "../../optimizers/run-task.js";
import { type SweepCell, summarizeSweep, sweepCsv, sweepMarkdown } from "../../optimizers/sweep.js";
import { type CellStatus, statusSummary, sweepStatus } from "../../queue/status.js";
import { type CellJob, configHash, SweepQueue } from "../../queue/sweep-queue.js";
import { renderSweepHtml } from "../../report/sweep-html.js";
import { openRunStore } from "../../session/store.js";
import { runSweep } from "../../session/sweep.js";
import type { RunConfig } from "../../store/types.js";
import { UserError } from "../../util/errors.js";
import { redactUrl } from "../../util/redact.js";
import { VERSION } from "../../version.js";
import { createRunProgress } from "../progress.js";
import { addRunOptions } from "../run-options.js";
import { intOption } from "../shared-options.js";
import { formatTable } from "../table.js";
import { runConfigFromCommand } from "./optimize.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

interface BenchOptions {
  tasks?: string[];
  methods: RunConfig["method"][];
  seeds: number[];
  csv?: string;
  markdown?: string;
  html?: string;
  ledger?: string;
  store?: string;
  queue?: string;
  status?: boolean;
  lease: number;
  retries: number;
  retryDelay: number;
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

function queueUrl(v: string): string {
  if (!isPostgresUrl(v))
    throw new InvalidArgumentError("must be a postgres://user:password@host:port/database URL");
  return v.trim();
}

/** Register `instructzero bench`. */
export function registerBenchCommand(program: Command): void {
  const cmd = program
    .command("bench")
    .description(
      "Run a grid of tasks x methods x seeds and print the test score as mean ± s.e. per task and method\n" +
        "(markdown, like the paper's tables; --csv for every cell). Every cell is an ordinary run in the ledger:\n" +
        "rerunning the same command resumes unfinished cells and reuses finished ones.\n" +
        "With --queue postgres://...: enqueue one job per cell for `instructzero worker` processes on any number\n" +
        "of machines and return; `bench --status --queue URL` shows where each cell is and the results so far.",
    )
    .option("--tasks <a,b,c>", "tasks (names or .jsonl/.csv files); required unless --status", list)
    .option("--methods <list>", `methods: ${methodNames().join(", ")}`, methods, defaultSweepMethods())
    .option("--seeds <list>", "seeds", seeds, [0, 1, 2])
    .option("--csv <file>", "write every cell (run id, scores, calls, cost) as CSV")
    .option("--markdown <file>", "also write the markdown table to a file")
    .option(
      "--html <file>",
      "also write a self-contained HTML report: per task, each method's mean ± s.e. with interval bars and win/tie/loss against each baseline",
    )
    .option(
      "--queue <url>",
      "enqueue the cells in this PostgreSQL database (also the shared run store the workers write to) instead of running them",
      queueUrl,
    )
    .option(
      "--status",
      "with --queue: show each enqueued cell (done, running where, stalled: its worker stopped, waiting, failed why) and the results so far",
    )
    .option(
      "--lease <seconds>",
      "with --queue: a worker renews its hold on a cell while it runs; a cell whose worker stopped renewing (it died) for this long goes to another worker",
      intOption("--lease", 1),
      120,
    )
    .option(
      "--retries <n>",
      "with --queue: times a cell is tried again after its worker died or it failed",
      intOption("--retries", 0),
      3,
    )
    .option(
      "--retry-delay <seconds>",
      "with --queue: wait before a cell is tried again",
      intOption("--retry-delay", 0),
      10,
    );
  // `bench` sets task, method and seed per cell.
  addLedgerOption(addRunOptions(cmd, BENCH_OMIT));
  cmd.action(async (opts: BenchOptions, command: Command) => {
    if (opts.queue) {
      const store = opts.store ?? opts.ledger;
      if (store !== undefined && store !== opts.queue)
        throw new UserError(
          "--queue is also the run store the workers write to: leave out --store / --ledger",
        );
      if (opts.status) return showStatus(opts.queue, opts);
      return enqueue(opts.queue, opts, command);
    }
    if (opts.status)
      throw new UserError("--status needs --queue postgres://... (the database the cells were enqueued in)");
    if (!opts.tasks) throw new UserError("--tasks is required (a comma-separated list of tasks)");
    const tasks = opts.tasks;
    const ledger = openRunStore(ledgerPathOption(opts));
    // the running cell: a line naming it, then its own progress (as `optimize` draws it)
    let cellProgress: ReturnType<typeof createRunProgress> | undefined;
    try {
      const cells = await runSweep(
        { tasks, methods: opts.methods, seeds: opts.seeds },
        (task, method, seed) => runConfigFromCommand(command, { task, method, seed }, BENCH_OMIT),
        ledger,
        (cell, done, total) => {
          cellProgress?.stop();
          cellProgress = undefined;
          process.stderr.write(
            `[${done}/${total}] ${cell.task} ${cell.method} seed ${cell.seed}: test ${cell.test?.toFixed(3) ?? "-"} (run ${cell.runId}, ${cell.status})\n`,
          );
        },
        {
          onCellStart: (cell, index, total) => {
            cellProgress?.stop();
            process.stderr.write(`cell ${index}/${total}: ${cell.task} ${cell.method} seed ${cell.seed}\n`);
            cellProgress = createRunProgress(cell.config.budget, cell.config.batchSize);
          },
          onProgress: (e) => cellProgress?.update(e),
        },
      );
      writeResults(cells, opts.methods, opts);
    } finally {
      cellProgress?.stop();
      ledger.close();
    }
  });
}

/** Print the markdown table of `cells` and write the files asked for. */
function writeResults(
  cells: readonly SweepCell[],
  methodOrder: readonly string[],
  opts: Pick<BenchOptions, "markdown" | "html" | "csv">,
): void {
  const rows = summarizeSweep(cells);
  const table = sweepMarkdown(rows, methodOrder);
  process.stdout.write(table);
  if (opts.markdown) writeFileSync(opts.markdown, table);
  if (opts.html)
    writeFileSync(
      opts.html,
      renderSweepHtml(cells, rows, {
        methods: methodOrder,
        generatedAt: new Date().toISOString(),
        producer: `instructzero ${VERSION}`,
      }),
    );
  if (opts.csv) writeFileSync(opts.csv, sweepCsv(cells));
}

/** `bench --queue URL`: one job per cell, checked first (options, tasks), then return. */
async function enqueue(url: string, opts: BenchOptions, command: Command): Promise<void> {
  if (!opts.tasks) throw new UserError("--tasks is required (a comma-separated list of tasks)");
  const cells: CellJob[] = [];
  const checked = new Set<string>();
  for (const task of opts.tasks)
    for (const method of opts.methods)
      for (const seed of opts.seeds) {
        const config = runConfigFromCommand(command, { task, method, seed }, BENCH_OMIT);
        // a task that cannot be loaded is an error now, not in a worker later
        if (!checked.has(task)) {
          await loadRunTaskForPlan(config);
          checked.add(task);
        }
        cells.push({ task, method, seed, key: configHash(config), config });
      }
  // the ledger's tables first (the workers write runs there), then the queue
  const ledger = openRunStore(url);
  let queue: SweepQueue | undefined;
  try {
    queue = await SweepQueue.open(url);
    const r = await queue.enqueue(cells, ledger.driver, {
      leaseSeconds: opts.lease,
      retries: opts.retries,
      retryDelaySeconds: opts.retryDelay,
    });
    process.stdout.write(
      `enqueued ${r.added} cells in ${redactUrl(url)} (${r.existing} already queued, running or done; ${r.retried} failed ones queued again).\n` +
        "Run workers on any machine: instructzero worker --store URL [--concurrency N]\n" +
        "Follow them: instructzero bench --status --queue URL\n",
    );
  } finally {
    await queue?.stop();
    ledger.close();
  }
}

/** `bench --status --queue URL`: every enqueued cell and the results of those done. */
async function showStatus(url: string, opts: BenchOptions): Promise<void> {
  const ledger = openRunStore(url);
  let queue: SweepQueue | undefined;
  let status: CellStatus[];
  try {
    queue = await SweepQueue.open(url);
    status = await sweepStatus(ledger, queue);
  } finally {
    await queue?.stop();
    ledger.close();
  }
  if (status.length === 0) {
    process.stdout.write(`No cells enqueued in ${redactUrl(url)}.\n`);
    return;
  }
  process.stdout.write(
    formatTable(
      ["task", "method", "seed", "state", "run", "evaluations", "where / why"],
      status.map((s) => [
        s.task,
        s.method,
        String(s.seed),
        s.state,
        s.runId ?? "-",
        String(s.evaluations),
        s.detail || "-",
      ]),
    ),
  );
  process.stdout.write(`${statusSummary(status)}\n`);
  const done = status.flatMap((s) => (s.cell ? [s.cell] : []));
  if (done.length === 0) return;
  process.stdout.write("\n");
  const methodOrder = [...new Set(status.map((s) => s.method))];
  writeResults(done, methodOrder, opts);
}
