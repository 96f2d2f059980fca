import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { optimizeResultOf } from "../../api/optimize-instruction.js";
import { asBatchBlackBox, cancelCommand } from "../../blackbox/batch/index.js";
import { checkBaseURL } from "../../blackbox/providers/map-error.js";
import { DEFAULT_GENERATOR, DEFAULT_TARGET, type RunConfig } from "../../config/schema.js";
import { hubCacheDir, repoFolderName } from "../../generator/hub/cache-layout.js";
import { onnxFileForDtype } from "../../generator/hub/files.js";
import { describeZeroConfigPlan, zeroConfigPlan } from "../../generator/plan-local.js";
import { getMethod } from "../../optimizers/methods/index.js";
import { comparisonAlpha, describePower, POWER_BASELINES, powerPlan } from "../../optimizers/plan.js";
import { makeRunConfig, type RunOutcome } from "../../optimizers/run.js";
import { loadRunTaskForPlan } from "../../optimizers/run-task.js";
import { requirePrices } from "../../optimizers/setup.js";
import type { ProgressEvent } from "../../optimizers/types.js";
import { costVerdict } from "../../report/cost-text.js";
import { planDryRun } from "../../session/dry-run.js";
import { type RunLimits, RunSession } from "../../session/run-session.js";
import { openRunStore } from "../../session/store.js";
import type { Ledger } from "../../store/ledger.js";
import type { Task } from "../../tasks/types.js";
import { UserError } from "../../util/errors.js";
import { fmtUsd } from "../../util/format.js";
import { createRunProgress } from "../progress.js";
import { addRunOptions, runOptionsFromCli } from "../run-options.js";
import { intOption, numberOption } from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

export { DEFAULT_GENERATOR, DEFAULT_TARGET };

interface OptimizeFlags {
  dryRun?: boolean;
  json?: boolean;
  ledger?: string;
  store?: string;
}

/** The checked run configuration of `optimize` (flags over `--config`), or a UserError naming what is wrong. */
export function runConfigFromCommand(
  cmd: Command,
  overrides: Record<string, unknown> = {},
  omit: string[] = [],
): RunConfig {
  const options = { ...runOptionsFromCli(cmd, omit), ...overrides };
  if (options.task === undefined) throw new UserError("--task is required (or `task` in the --config file)");
  return makeRunConfig(options, {}, "options");
}

/** Register `instructzero optimize` and `instructzero resume`. */
export function registerOptimizeCommands(program: Command): void {
  const cmd = program
    .command("optimize")
    .description(
      "Find the best instruction for a task and a black-box model within a budget of evaluations.\n" +
        "Defaults: the paper's budget (150 evaluations = 25 Sobol points + 5 batches of 25, 20 validation examples), a seeded split with\n" +
        "data hygiene, cleaned instructions, selection on fresh data and the adaptive post-search (a race among the top 5 on the\n" +
        "selection split, a sequential test of the winner against the baselines: about 200 calls after the search instead of 590);\n" +
        "--preset paper runs the reference implementation's protocol (its split rule, no hygiene, raw instructions, best validation\n" +
        'score with the latest of ties, the chosen instruction on the whole test split; README "Where this differs").',
    )
    .option("--dry-run", "print the planned calls, tokens and dollars, spend nothing")
    .option("--json", "print the outcome as JSON");
  addLedgerOption(addRunOptions(cmd));
  cmd.addHelpText(
    "after",
    "\nAPI keys come from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY), never from flags.\n" +
      "Every evaluation is stored in the run ledger; an interrupted run continues with `instructzero resume RUN`.\n" +
      "Examples:\n" +
      "  instructzero optimize --task antonyms\n" +
      "  instructzero optimize --task antonyms --target openai:gpt-4o-mini --batch-mode distinct --dry-run\n" +
      "  instructzero optimize --task my-examples.jsonl --target openai:gpt-4o-mini --max-cost 0.50\n" +
      "  instructzero optimize --task my.jsonl --black-box ./pipeline.mjs --metric ./metric.mjs --method ape --proposer openai:gpt-4o-mini\n" +
      "  instructzero optimize --config run.json --budget 60\n" +
      "Every option can also be set in the --config file (camelCase names); docs/options.md lists them.",
  );
  cmd.action(async (opts: OptimizeFlags, command: Command) => {
    const config = runConfigFromCommand(command);
    // the task is loaded (and checked) before anything is created or spent
    const task = await loadRunTaskForPlan(config);
    if (opts.dryRun) {
      // the same checks as a real run: prices (INSTRUCTZERO_PRICES read and validated), a cap's prices
      if (config.maxCost !== undefined) requirePrices(config);
      const { plan, notes } = planDryRun(config, task);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ config, plan, notes }, null, 2)}\n`);
        return;
      }
      const usd = (x: number | null, model: string) =>
        x === null ? `unknown (no price for ${model}; see INSTRUCTZERO_PRICES)` : fmtUsd(x);
      const judgeModel = config.metric?.startsWith("judge:") ? config.metric.slice(6) : undefined;
      process.stdout.write(
        [
          `dry run: ${config.method} on ${task.name} with ${config.target} (nothing spent)`,
          `evaluations       ${plan.evaluations}`,
          `black-box calls   at most ${plan.maxCalls} (${plan.validationCalls} validation, ${plan.initCalls} extra candidates, ${plan.selectionCalls} selection, ${plan.baselineCalls} baselines, ${plan.testCalls} test, ${plan.proposalCalls} proposals)`,
          `tokens            ~${plan.inputTokens} in, ~${plan.outputTokens} out`,
          `estimated cost    ${usd(plan.costUsd, config.target)}`,
          ...(judgeModel
            ? [
                `judge calls       at most ${plan.judgeCalls} (${judgeModel}), ~${plan.judgeInputTokens} in, ~${plan.judgeOutputTokens} out`,
                `judge cost        ${usd(plan.judgeCostUsd, judgeModel)}`,
                `total cost        ${plan.totalCostUsd === null ? "unknown" : fmtUsd(plan.totalCostUsd)}`,
              ]
            : []),
          `power plan        ${describePower(plan.power)}`,
          ...notes.map((n) => `note              ${n}`),
          "Repeated instructions and cached answers are not paid again, so the real cost is usually lower.",
        ].join("\n") + "\n",
      );
      return;
    }
    const ledger = openRunStore(ledgerPathOption(opts));
    try {
      await runAndReport({ config, task }, ledger, opts.json);
    } finally {
      ledger.close();
    }
  });

  const resume = program
    .command("resume")
    .description("Continue an interrupted run (Ctrl-C, kill, provider outage) exactly where it stopped.")
    .argument("<run>", "run id (see `instructzero runs`)")
    .option(
      "--max-calls <n>",
      "new limit on paid black-box calls (e.g. to continue a run stopped by its budget)",
      intOption("--max-calls", 1),
    )
    .option("--max-cost <usd>", "new dollar limit", numberOption("--max-cost"))
    .option(
      "--base-url <url>",
      "the target server's new URL (it moved); stored with the run. Answers cached under the old URL are not reused",
    )
    .option("--json", "print the outcome as JSON");
  addLedgerOption(resume).action(
    async (
      id: string,
      opts: {
        ledger?: string;
        store?: string;
        json?: boolean;
        maxCalls?: number;
        maxCost?: number;
        baseUrl?: string;
      },
    ) => {
      const ledger = openRunStore(ledgerPathOption(opts), { create: false });
      try {
        const runId = ledger.resolveRunId(id);
        const run = ledger.getRun(runId);
        if (opts.baseUrl !== undefined) {
          if (run.config.target.startsWith("function:"))
            throw new UserError(`--base-url: run ${runId} scores a function black box, which has no server`);
          checkBaseURL(opts.baseUrl, "--base-url");
        }
        // new limits (and a new base URL) are stored only once the run's black box, metric and generator opened
        await runAndReport(
          {
            runId,
            limits: {
              maxCalls: opts.maxCalls,
              maxCost: opts.maxCost,
              ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl.trim().replace(/\/+$/, "") } : {}),
            },
          },
          ledger,
          opts.json,
        );
      } finally {
        ledger.close();
      }
    },
  );
}

/**
 * Run `target` (a new configuration, recorded once its dependencies open, or a stored run) in a run
 * session on `ledger`, drawing progress on stderr and printing the outcome.
 */
export async function runAndReport(
  target: { config: RunConfig; task?: Task } | { runId: string; limits?: RunLimits },
  ledger: Ledger,
  json?: boolean,
): Promise<void> {
  const config = "config" in target ? target.config : ledger.getRun(target.runId).config;
  let runId = "runId" in target ? target.runId : undefined;
  let session: RunSession | undefined;
  const controller = new AbortController();
  let interrupts = 0;
  // Ctrl-C and SIGTERM: stop after the evaluations under way (the test phase stops at once); a second
  // one quits at once. Either way the run stays resumable: every answer already paid is in the cache
  // and the spend log, and a run whose process is gone shows as "interrupted".
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      if (runId !== undefined) {
        try {
          ledger.setStatus(runId, "interrupted", `stopped at once by a second ${signal}`);
        } catch {
          // the ledger is busy: the run still shows as interrupted once this process is gone
        }
      }
      process.stderr.write(`\nstopped; resume with: instructzero resume ${runId ?? "RUN"}\n`);
      process.exit(130);
    }
    process.stderr.write(
      `\n${signal === "SIGINT" ? "Ctrl-C" : signal}: interrupting after the evaluations under way (again to quit now; nothing paid is lost)\n`,
    );
    // a provider batch keeps running at the provider: say how to pick it up or cancel it
    const batch = asBatchBlackBox(session?.blackBox);
    for (const b of batch?.activeBatches() ?? []) {
      if (!b.batchId) continue;
      process.stderr.write(
        `a provider batch is still running (${b.provider} ${b.batchId}, ${b.done}/${b.total} done): ` +
          `\`instructzero resume ${runId ?? "RUN"}\` picks it up; to cancel it: ${cancelCommand(b.provider, b.batchId, config.baseUrl)}\n`,
      );
    }
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const progress = createRunProgress(config.budget, config.batchSize);
  try {
    if ("config" in target) printLocalPlan(config);
    const common = {
      store: ledger,
      onProgress: (e: ProgressEvent) => progress.update(e),
      signal: controller.signal,
    };
    session = await RunSession.open(
      "config" in target ? { ...common, config, task: target.task } : { ...common, ...target },
    );
    // provider batches: a line per poll while waiting (requests done/total, elapsed, provider status)
    asBatchBlackBox(session.blackBox)?.subscribe((e) => {
      if (e.type === "poll" || e.type === "submitted" || e.type === "ended")
        process.stderr.write(
          `batch ${e.batchId ?? "(uploading)"} ${e.status}: ${e.done}/${e.total} done (${e.failed} failed), ${(e.elapsedMs / 1000).toFixed(0)} s${e.attempt ? `, retry ${e.attempt}` : ""}\n`,
        );
    });
    if (runId === undefined) {
      runId = session.runId;
      process.stderr.write(`run ${runId} (resume with: instructzero resume ${runId})\n`);
      // the power plan: what the test split can detect (the run stores its test split when it starts)
      const testSize =
        "config" in target
          ? target.task
            ? planDryRun(config, target.task).plan.power.testExamples
            : 0
          : (ledger.getExamples(runId, "test")?.length ?? 0);
      if (config.test && testSize > 0)
        process.stderr.write(
          `power plan: ${describePower(powerPlan(testSize, POWER_BASELINES, comparisonAlpha(config, testSize)))}\n`,
        );
    }
    const outcome = await session.run();
    progress.stop();
    printOutcome(
      outcome,
      config,
      json ? session : undefined,
      ledger.getExamples(outcome.runId, "test")?.length,
    );
    if (outcome.status === "interrupted") process.exitCode = 130;
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await session?.close();
  }
}

/**
 * Print the outcome: with `json` (the run's session) the library's result shape (OptimizeResult,
 * docs/result-format.md), else the summary lines.
 */
function printOutcome(o: RunOutcome, config: RunConfig, json?: RunSession, testSize?: number): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(optimizeResultOf(o, json), null, 2)}\n`);
    return;
  }
  const t = o.totals;
  const lines: [string, string][] = [
    ["run", `${o.runId} (${o.status}${o.reason ? `: ${o.reason}` : ""})`],
    ["task", `${config.task} | method ${config.method} | target ${config.target}`],
    ["chosen", o.best ? JSON.stringify(o.best.instruction) : "-"],
    ["validation", o.best ? o.best.score.toFixed(3) : "-"],
    ...selectionLines(o),
    ["test", o.test ? testLine(o.test) : "-"],
    ...(o.baselines ?? []).map((b): [string, string] => [
      "baseline",
      `${b.name}${b.instruction ? ` ${JSON.stringify(b.instruction.length > 60 ? `${b.instruction.slice(0, 57)}...` : b.instruction)}` : ""}: validation ${b.validation.score.toFixed(3)}${b.test ? `, test ${testLine(b.test)}` : ""}`,
    ]),
    ...(o.verdict ? [["verdict", o.verdict.text] as [string, string]] : []),
    ...powerLines(o, config, testSize),
    ...(o.comparisons ?? []).map((c): [string, string] => ["compared", c.text]),
    ...((): [string, string][] => {
      const cost = costVerdict(o.best ?? undefined, o.baselines ?? []);
      return cost ? [["per query", cost]] : [];
    })(),
    [
      "evaluations",
      `${t.evaluations}/${config.budget} (${t.distinctInstructions ?? "?"} distinct instructions, ${t.reused ?? 0} reused)`,
    ],
    ["calls", `${t.calls} (cache hits ${t.cacheHits})`],
    ["tokens", `${t.inputTokens} in, ${t.outputTokens} out`],
    ["cost", costLine(t)],
    [
      "wall time",
      `${((t.wallMs ?? 0) / 1000).toFixed(1)} s (generation ${((t.generationMs ?? 0) / 1000).toFixed(1)} s, BO ${((t.boMs ?? 0) / 1000).toFixed(1)} s, black box ${((t.evaluationMs ?? 0) / 1000).toFixed(1)} s)`,
    ],
  ];
  if (config.target.startsWith("function:") && !config.blackBoxId && !config.blackBoxModule)
    lines.push(["note", "the black box is a function without blackBoxId: its answers were not cached"]);
  for (const n of o.notes ?? []) lines.push(["note", n]);
  if ((t.lostCalls ?? 0) > 0)
    lines.push([
      "note",
      `${t.lostCalls} requests were in flight when a process died: counted as paid at their worst case`,
    ]);
  if ((t.abandonedCalls ?? 0) > 0)
    lines.push([
      "note",
      `${t.abandonedCalls} attempts were abandoned without an answer (timeout, lost connection): counted as paid at their worst case`,
    ]);
  if (o.status === "interrupted") lines.push(["resume", `instructzero resume ${o.runId}`]);
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(13)}${v}`).join("\n") + "\n");
}

/**
 * The power plan over the best baseline's test score (the smallest gain the winner's test examples
 * detect), at the level the comparison on them was made at (`testSize`: the run's test split).
 */
function powerLines(o: RunOutcome, config: RunConfig, testSize?: number): [string, string][] {
  const scored = (o.baselines ?? []).filter((b) => b.test);
  if (!o.test || scored.length === 0) return [];
  const best = Math.max(...scored.map((b) => b.test!.score));
  const n = o.test.scores.length;
  const alpha = comparisonAlpha(config, testSize ?? n, n);
  return [["power", describePower(powerPlan(n, [best], alpha))]];
}

/** Dollars with enough digits to never print a non-zero cost as 0, the judge's share apart. */
export function costLine(t: RunOutcome["totals"]): string {
  const usd = fmtUsd;
  const total = t.totalCostUsd ?? t.costUsd;
  return t.judgeCostUsd !== undefined || t.judgeCalls !== undefined
    ? `${usd(total)} (black box ${usd(t.costUsd)}, judge ${usd(t.judgeCostUsd ?? 0)} in ${t.judgeCalls ?? 0} calls)`
    : usd(total);
}

/** "0.820 (95% CI 0.74 to 0.89)". */
function testLine(t: { score: number; low?: number; high?: number }): string {
  return t.low !== undefined && t.high !== undefined
    ? `${t.score.toFixed(3)} (95% CI ${t.low.toFixed(2)} to ${t.high.toFixed(2)})`
    : t.score.toFixed(3);
}

/** How the winner was chosen. */
function selectionLines(o: RunOutcome): [string, string][] {
  const s = o.selection;
  if (!s) return [];
  if (s.rule === "validation") return [["chosen by", "the best validation score"]];
  const w = s.candidates.find((c) => c.index === s.winner);
  return [
    [
      "selection",
      `${w ? w.score.toFixed(3) : "-"} on ${s.size} fresh examples (best of the top ${s.candidates.length} by validation)`,
    ],
  ];
}

/**
 * Before a run that opens local models (the zero-config default: a hub generator and a local: black
 * box), say what will be downloaded and how long the run should take (figures measured on 2 cores).
 */
function printLocalPlan(config: RunConfig): void {
  const localTarget = config.target.startsWith("local:");
  const hubGenerator = getMethod(config.method).usesGenerator && !config.vllmUrl;
  if (!localTarget && !hubGenerator) return;
  const plan = zeroConfigPlan({
    generator: hubGenerator ? config.generator : undefined,
    generatorDtype: config.generatorDtype,
    target: config.target,
    targetDtype: config.generatorDtype,
    blackBoxCalls: localTarget ? config.budget * config.validationSize + (config.test ? 100 : 0) : 0,
    instructions: config.budget,
    cores: availableParallelism(),
    isCached: (source, dtype) => isInHubCache(source, dtype),
  });
  for (const line of describeZeroConfigPlan(plan)) process.stderr.write(`${line}\n`);
}

/** True when hf:org/name's `dtype` graph is already in the hub cache (any snapshot), or source is a folder. */
function isInHubCache(source: string, dtype: string): boolean {
  if (!source.startsWith("hf:")) return true;
  const repo = source.slice(3).replace(/@.*$/, "");
  const snapshots = join(hubCacheDir(), repoFolderName(repo), "snapshots");
  if (!existsSync(snapshots)) return false;
  return readdirSync(snapshots).some((s) => existsSync(join(snapshots, s, onnxFileForDtype(dtype))));
}
