import type { Command } from "commander";
import { migrateRun } from "../../api/migrate-run.js";
import type { RunConfig } from "../../config/schema.js";
import { loadRunTaskForPlan } from "../../optimizers/run-task.js";
import { requirePrices } from "../../optimizers/setup.js";
import type { ProgressEvent } from "../../optimizers/types.js";
import { planDryRun } from "../../session/dry-run.js";
import { DEFAULT_WARM, type MigrationTable, migrationConfig } from "../../session/migrate.js";
import { openRunStore } from "../../session/store.js";
import { fmtUsd, terminalSafe } from "../../util/format.js";
import { createRunProgress } from "../progress.js";
import { intOption, numberOption } from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

interface MigrateFlags {
  to: string[];
  budget?: number;
  warm?: number;
  warmRacing?: boolean;
  initialPoints?: number;
  baseUrl?: string;
  maxCalls?: number;
  maxCost?: number;
  dryRun?: boolean;
  json?: boolean;
  ledger?: string;
  store?: string;
}

/** Register `instructzero migrate RUN --to provider:model[,provider:model...]`. */
export function registerMigrateCommand(program: Command): void {
  const cmd = program
    .command("migrate")
    .description(
      "Move a finished run's prompt to new models: on each, score the old top candidates and the baselines,\n" +
        "continue the search warm-started from the old run, and print (old model, old prompt), (new model,\n" +
        "old prompt), (new model, migrated prompt) with test scores, intervals, $ per 1,000 queries, latency and\n" +
        "the ship verdict. Each new model is a new run (resumable; the same command again continues it).",
    )
    .argument("<run>", "run id (or a unique prefix) of a completed run")
    .requiredOption("--to <list>", "comma-separated provider:model ids of the new models", (v: string) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option(
      "--budget <n>",
      "evaluations of each new search after the warm start, which comes on top [the old run's]",
      intOption("--budget", 1),
    )
    .option(
      "--warm <n>",
      `old candidates (best first) that warm-start the search [${DEFAULT_WARM}]`,
      intOption("--warm", 1),
    )
    .option(
      "--no-warm-racing",
      "score every warm-start candidate on the whole validation set (default: raced, a clearly worse one stops early)",
    )
    .option(
      "--initial-points <n>",
      "initial design after the warm start [the old run's]",
      intOption("--initial-points", 1),
    )
    .option("--base-url <url>", "OpenAI-compatible server of the new models [the old run's]")
    .option(
      "--max-calls <n>",
      "paid requests each new run may make (a run it stopped: the same command with a higher limit continues it)",
      intOption("--max-calls", 1),
    )
    .option("--max-cost <usd>", "dollars each new run may spend (likewise)", numberOption("--max-cost"))
    .option("--dry-run", "print the planned calls, tokens and dollars of each new run, spend nothing")
    .option("--json", "print the migration tables as JSON");
  addLedgerOption(cmd).action(async (run: string, opts: MigrateFlags) => {
    const store = ledgerPathOption(opts);
    const settings = {
      budget: opts.budget,
      warm: opts.warm,
      warmRacing: opts.warmRacing,
      initialPoints: opts.initialPoints,
      baseUrl: opts.baseUrl,
      maxCalls: opts.maxCalls,
      maxCost: opts.maxCost,
    };
    if (opts.dryRun) {
      await dryRun(store, run, opts, settings);
      return;
    }
    const controller = new AbortController();
    const onSignal = () => {
      process.stderr.write("\ninterrupting after the evaluations under way (nothing paid is lost)\n");
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let progress: ReturnType<typeof createRunProgress> | undefined;
    try {
      const tables = await migrateRun(run, {
        ...settings,
        to: opts.to,
        store,
        signal: controller.signal,
        onRun: (target, runId, config) => {
          progress?.stop();
          progress = createRunProgress(config.budget, config.batchSize);
          process.stderr.write(
            `run ${runId} (${target}; continue with the same command or: instructzero resume ${runId})\n`,
          );
        },
        onProgress: (e: ProgressEvent) => progress?.update(e),
      });
      progress?.stop();
      if (opts.json) process.stdout.write(`${JSON.stringify(tables, null, 2)}\n`);
      else process.stdout.write(tables.map(formatTable).join("\n"));
      if (tables.some((t) => t.status === "interrupted") || controller.signal.aborted) process.exitCode = 130;
    } finally {
      progress?.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}

async function dryRun(
  store: string,
  run: string,
  opts: MigrateFlags,
  settings: Parameters<typeof migrationConfig>[3],
): Promise<void> {
  const ledger = openRunStore(store, { create: false });
  try {
    const old = ledger.getRun(ledger.resolveRunId(run));
    const examples = ledger.getTaskExamples(old.id)?.examples;
    const plans = [];
    for (const target of opts.to) {
      const config = migrationConfig(ledger, old, target, settings);
      if (config.maxCost !== undefined) requirePrices(config);
      const task = await loadRunTaskForPlan(config, examples ? { examples } : {});
      plans.push({ target, config, ...planDryRun(config, task) });
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(plans, null, 2)}\n`);
      return;
    }
    for (const p of plans)
      process.stdout.write(
        [
          `dry run: migrate ${old.id} to ${p.target} (nothing spent)`,
          `warm start        ${warmLine(p.config)}`,
          `search            ${p.config.initialPoints} initial points and BO batches: ${p.plan.evaluations - (p.config.warmStart?.length ?? 0)} evaluations after the warm start (${p.plan.evaluations} in all)`,
          `old candidates    the old run's top ${p.config.oldCandidates?.length ?? 0} (its winner first) on validation, selection and test`,
          `black-box calls   at most ${p.plan.maxCalls} (${p.plan.validationCalls} validation, ${p.plan.initCalls} extra candidates, ${p.plan.selectionCalls} selection with the old candidates, ${p.plan.baselineCalls} baselines with the old prompt, ${p.plan.testCalls} test, ${p.plan.oldCandidateCalls} old candidates on test)`,
          `tokens            ~${p.plan.inputTokens} in, ~${p.plan.outputTokens} out`,
          `estimated cost    ${p.plan.costUsd === null ? `unknown (no price for ${p.target}; see INSTRUCTZERO_PRICES)` : fmtUsd(p.plan.costUsd)}`,
          ...p.notes.map((n) => `note              ${n}`),
        ].join("\n") + "\n",
      );
  } finally {
    ledger.close();
  }
}

/** The warm start's budget line of the dry run. */
function warmLine(config: RunConfig): string {
  const n = config.warmStart?.length ?? 0;
  if (n === 0) return "none (the old run has no soft prompts: its top instructions are extra candidates)";
  return `${n} old candidates, ${n} evaluations on top of the search's budget${config.warmRacing ? " (raced: a clearly worse one stops early)" : ""}`;
}

/**
 * The migration table of one new model, as text. A selection score over fewer examples than the most
 * in the table (the selection race stopped that candidate early) carries its number: `0.800 (10)`.
 */
export function formatTable(t: MigrationTable): string {
  const num = (x: number | null, d = 3) => (x === null ? "-" : x.toFixed(d));
  const most = Math.max(0, ...t.rows.map((r) => r.selectionN ?? 0));
  const fewer = (r: MigrationTable["rows"][number]) => r.selectionN !== null && r.selectionN < most;
  const selection = (r: MigrationTable["rows"][number]) =>
    `${num(r.selection)}${r.selection !== null && fewer(r) ? ` (${r.selectionN})` : ""}`;
  const lines = [
    `migration to ${t.target}: run ${t.runId} (${t.status}${t.reason ? `: ${terminalSafe(t.reason)}` : ""})`,
    "| model | prompt | selection score | test score (95% CI) | $ per 1,000 queries | median latency |",
    "| --- | --- | --- | --- | --- | --- |",
    ...t.rows.map(
      (r) =>
        `| ${r.model} | ${r.label.split(", ")[1]}: ${terminalSafe(JSON.stringify(r.instruction.length > 50 ? `${r.instruction.slice(0, 47)}...` : r.instruction))} | ${selection(r)} | ${num(r.score)} (${num(r.low, 2)} to ${num(r.high, 2)}) | ${r.usdPer1k === undefined ? "-" : fmtUsd(r.usdPer1k)} | ${r.latencyMs === undefined ? "-" : `${Math.round(r.latencyMs)} ms`} |`,
    ),
    ...(t.rows.some(fewer)
      ? [
          `selection: a score with (n) is the mean over its first n selection examples (the selection race dropped it early), the others over ${most}`,
        ]
      : []),
    `spent: ${t.calls} calls, ${fmtUsd(t.costUsd)} (the new run, all sessions)`,
    `verdict: ${t.verdict}`,
  ];
  return `${lines.join("\n")}\n`;
}
