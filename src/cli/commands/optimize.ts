import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { planRun } from "../../optimizers/plan.js";
import { executeRun, makeRunConfig, type RunOutcome } from "../../optimizers/run.js";
import { openRunDeps } from "../../optimizers/setup.js";
import type { Ledger } from "../../store/ledger.js";
import { openLedger } from "../../store/ledger.js";
import type { RunConfig } from "../../store/types.js";
import { loadTask } from "../../tasks/load.js";
import { splitTask } from "../../tasks/splits.js";
import { isTaskFilePath } from "../../tasks/user-file.js";
import { createRunProgress } from "../progress.js";
import {
  addBlackBoxOptions,
  addDataOptions,
  addMetricOption,
  intOption,
  numberOption,
  printDownload,
  type SharedCliOptions,
} from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

/**
 * Default generator: Qwen2.5-0.5B-Instruct (ONNX export by onnx-community). Small enough for a CPU
 * (~0.5 B parameters), instruction-tuned, with a chat template and a transformers.js-layout export.
 */
export const DEFAULT_GENERATOR = "hf:onnx-community/Qwen2.5-0.5B-Instruct";
/** Default black box when no --target is given: the same model through the local: provider (no API key). */
export const DEFAULT_TARGET = `local:${DEFAULT_GENERATOR}`;

/** Parsed run options (shared by optimize and bench). */
export interface RunCliOptions extends SharedCliOptions {
  target?: string;
  generator?: string;
  method: RunConfig["method"];
  budget: number;
  seed: number;
  nTokens: number;
  instructionTokens: number;
  intrinsicDim: number;
  batchMode: RunConfig["batchMode"];
  pipelined?: boolean;
  initialPoints: number;
  batchSize: number;
  validationSize: number;
  demos: number;
  maxTokens: number;
  projection: "uniform" | "normal";
  proposer?: string;
  maxCalls?: number;
  maxCost?: number;
  test: boolean;
  ledger?: string;
  generatorDtype: string;
  vllmUrl?: string;
  vllmModel?: string;
}

interface OptimizeOptions extends RunCliOptions {
  task: string;
  dryRun?: boolean;
  json?: boolean;
}

function choice<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`${name} must be one of ${values.join(", ")}`);
    return v as T;
  };
}

/** Options shared by `optimize` and `bench` (everything that defines a run). */
export function addRunOptions(cmd: Command): Command {
  cmd
    .option(
      "--target <provider:model>",
      `black-box model to optimise for (default ${DEFAULT_TARGET}, no API key needed)`,
    )
    .option(
      "--generator <src>",
      `instruction generator: model folder or hf:org/name (default ${DEFAULT_GENERATOR})`,
    )
    .addOption(
      new Option(
        "--method <name>",
        "instructzero (BO over soft prompts) | uniform (random soft prompts) | ape (the black box proposes)",
      )
        .choices(["instructzero", "uniform", "ape"])
        .default("instructzero"),
    )
    .option("--budget <n>", "evaluations (candidate instructions scored)", intOption("--budget", 1), 150)
    .option(
      "--seed <n>",
      "seed: same seed and inputs give the same instructions, scores and choices",
      intOption("--seed"),
      0,
    )
    .option(
      "--n-tokens <n>",
      "soft-prompt tokens prepended to the generator's input",
      intOption("--n-tokens", 1),
      5,
    )
    .option(
      "--instruction-tokens <n>",
      "max tokens the generator writes per instruction (the paper: 128)",
      intOption("--instruction-tokens", 1),
      128,
    )
    .option(
      "--intrinsic-dim <n>",
      "dimension of the soft prompt z searched by BO",
      intOption("--intrinsic-dim", 1),
      10,
    )
    .option(
      "--batch-mode <mode>",
      "reference (paper: duplicates allowed) | distinct (over-propose 3x, keep candidates whose instruction is new; recommended)",
      choice("--batch-mode", ["reference", "distinct"] as const),
      "reference",
    )
    .option(
      "--pipelined",
      "propose the next BO batch when all but the last generation chunk of this one are scored " +
        "(their scores join the fit one batch later): the generator starts the next batch while the " +
        "black box finishes this one (faster; not in the paper)",
    )
    .option("--initial-points <n>", "size of the initial Sobol design", intOption("--initial-points", 1), 25)
    .option("--batch-size <n>", "points proposed per BO iteration", intOption("--batch-size", 1), 25)
    .option(
      "--validation-size <n>",
      "validation examples per evaluation",
      intOption("--validation-size", 1),
      20,
    )
    .option("--demos <n>", "demonstrations shown to the generator", intOption("--demos", 1), 5)
    .option("--max-tokens <n>", "max answer tokens per black-box query", intOption("--max-tokens", 1), 64)
    .option(
      "--projection <kind>",
      "random projection of z: uniform | normal",
      choice("--projection", ["uniform", "normal"] as const),
      "uniform",
    )
    .option("--proposer <provider:model>", "ape: model that proposes instructions (default: the target)")
    .option(
      "--max-calls <n>",
      "stop cleanly after this many paid black-box calls (search phase)",
      intOption("--max-calls", 1),
    )
    .option(
      "--max-cost <usd>",
      "stop cleanly once this many dollars are spent (search phase)",
      numberOption("--max-cost"),
    );
  cmd.option(
    "--generator-dtype <dtype>",
    "ONNX variant of the generator and of a local: target (fp32, fp16, q8, q4)",
    "fp32",
  );
  cmd.option(
    "--vllm-url <url>",
    "decode the generator on this vLLM server (started with --enable-prompt-embeds)",
  );
  cmd.option(
    "--vllm-model <name>",
    "model name served by vLLM (default: the generator's name); key: $VLLM_API_KEY",
  );
  cmd.option("--no-test", "do not score the best instruction on the test split");
  return addLedgerOption(addMetricOption(addDataOptions(addBlackBoxOptions(cmd))));
}

/** A run configuration from parsed run options. */
export function runConfigFromOptions(
  opts: RunCliOptions,
  task: string,
  method: RunConfig["method"],
  seed: number,
): RunConfig {
  const taskFile = isTaskFilePath(task) ? resolve(task) : undefined;
  return makeRunConfig({
    task,
    taskFile,
    target: opts.target ?? DEFAULT_TARGET,
    generator: method === "ape" ? undefined : (opts.generator ?? DEFAULT_GENERATOR),
    method,
    budget: opts.budget,
    seed,
    nTokens: opts.nTokens,
    instructionTokens: opts.instructionTokens === 128 ? undefined : opts.instructionTokens,
    intrinsicDim: opts.intrinsicDim,
    batchMode: opts.batchMode,
    pipelined: opts.pipelined ? true : undefined,
    initialPoints: opts.initialPoints,
    batchSize: opts.batchSize,
    validationSize: opts.validationSize,
    numDemos: opts.demos,
    maxTokens: opts.maxTokens,
    projection: opts.projection,
    generatorDtype: opts.generatorDtype,
    vllmUrl: opts.vllmUrl,
    vllmModel: opts.vllmModel,
    proposer: opts.proposer,
    maxCalls: opts.maxCalls,
    maxCost: opts.maxCost,
    metric: opts.metric,
    dataDir: opts.dataDir ? resolve(opts.dataDir) : undefined,
    baseURL: opts.baseUrl,
    concurrency: opts.concurrency,
    timeoutMs: opts.timeout,
    maxRetries: opts.maxRetries,
    cache: opts.cache !== false,
    cachePath: typeof opts.cache === "string" ? resolve(opts.cache) : undefined,
    skipTest: !opts.test,
  });
}

/** Register `instructzero optimize` and `instructzero resume`. */
export function registerOptimizeCommands(program: Command): void {
  const cmd = program
    .command("optimize")
    .description(
      "Find the best instruction for a task and a black-box model within a budget of evaluations.\n" +
        "Defaults reproduce the paper: 150 evaluations = 25 Sobol points + 5 batches of 25, 20 validation examples.",
    )
    .requiredOption(
      "--task <name|file>",
      "benchmark task (see `instructzero tasks`) or a .jsonl/.csv file of input/output examples",
    )
    .option("--dry-run", "print the planned calls, tokens and dollars, spend nothing")
    .option("--json", "print the outcome as JSON");
  addRunOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nAPI keys come from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY), never from flags.\n" +
      "Every evaluation is stored in the run ledger; an interrupted run continues with `instructzero resume RUN`.\n" +
      "Examples:\n" +
      "  instructzero optimize --task antonyms\n" +
      "  instructzero optimize --task antonyms --target openai:gpt-4o-mini --batch-mode distinct --dry-run\n" +
      "  instructzero optimize --task my-examples.jsonl --target openai:gpt-4o-mini --max-cost 0.50",
  );
  cmd.action(async (opts: OptimizeOptions) => {
    const config = runConfigFromOptions(opts, opts.task, opts.method, opts.seed);
    const taskFile = config.taskFile;
    if (opts.dryRun) {
      const task = await loadTask(taskFile ?? opts.task, {
        dataDir: opts.dataDir,
        metric: opts.metric,
        onDownload: printDownload,
      });
      const plan = planRun(
        config,
        splitTask(task, { seed: config.seed, validationSize: config.validationSize }),
        {
          skipTest: !opts.test,
        },
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ config, plan }, null, 2)}\n`);
        return;
      }
      const cost =
        plan.costUsd === null
          ? `unknown (no price for ${config.target}; see INSTRUCTZERO_PRICES)`
          : `$${plan.costUsd.toFixed(4)}`;
      process.stdout.write(
        [
          `dry run: ${config.method} on ${task.name} with ${config.target} (nothing spent)`,
          `evaluations       ${plan.evaluations}`,
          `black-box calls   at most ${plan.maxCalls} (${plan.validationCalls} validation + ${plan.proposalCalls} proposals + ${plan.testCalls} test)`,
          `tokens            ~${plan.inputTokens} in, ~${plan.outputTokens} out`,
          `estimated cost    ${cost}`,
          "Repeated instructions and cached answers are not paid again, so the real cost is usually lower.",
        ].join("\n") + "\n",
      );
      return;
    }
    const ledger = openLedger(ledgerPathOption(opts));
    try {
      const runId = ledger.createRun(config);
      process.stderr.write(`run ${runId} (resume with: instructzero resume ${runId})\n`);
      await runAndReport(runId, ledger, opts.json);
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
    .option("--json", "print the outcome as JSON");
  addLedgerOption(resume).action(
    async (id: string, opts: { ledger?: string; json?: boolean; maxCalls?: number; maxCost?: number }) => {
      const ledger = openLedger(ledgerPathOption(opts), { create: false });
      try {
        const runId = ledger.resolveRunId(id);
        if (opts.maxCalls !== undefined || opts.maxCost !== undefined) {
          ledger.updateLimits(runId, { maxCalls: opts.maxCalls, maxCost: opts.maxCost });
        }
        await runAndReport(runId, ledger, opts.json);
      } finally {
        ledger.close();
      }
    },
  );
}

export async function runAndReport(runId: string, ledger: Ledger, json?: boolean): Promise<void> {
  const config = ledger.getRun(runId).config;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(
      "\ninterrupting after the current evaluation (Ctrl-C again to quit now; nothing paid is lost)\n",
    );
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const progress = createRunProgress(config.budget, () => deps?.blackBox, config.batchSize);
  let deps: Awaited<ReturnType<typeof openRunDeps>> | undefined;
  try {
    deps = await openRunDeps(config, ledger, {
      onProgress: (e) => progress.update(e),
      signal: controller.signal,
      skipTest: config.skipTest === true,
    });
    const outcome = await executeRun(runId, deps);
    progress.stop();
    printOutcome(outcome, config, json);
    if (outcome.status === "interrupted") process.exitCode = 130;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await deps?.close();
  }
}

function printOutcome(o: RunOutcome, config: RunConfig, json?: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ runId: o.runId, status: o.status, reason: o.reason, best: o.best, test: o.test, totals: o.totals }, null, 2)}\n`,
    );
    return;
  }
  const t = o.totals;
  const lines: [string, string][] = [
    ["run", `${o.runId} (${o.status}${o.reason ? `: ${o.reason}` : ""})`],
    ["task", `${config.task} | method ${config.method} | target ${config.target}`],
    ["best", o.best ? JSON.stringify(o.best.instruction) : "-"],
    ["validation", o.best ? o.best.score.toFixed(3) : "-"],
    ["test", o.test ? o.test.score.toFixed(3) : "-"],
    [
      "evaluations",
      `${t.evaluations}/${config.budget} (${t.distinctInstructions ?? "?"} distinct instructions, ${t.reused ?? 0} reused)`,
    ],
    ["calls", `${t.calls} (cache hits ${t.cacheHits})`],
    ["tokens", `${t.inputTokens} in, ${t.outputTokens} out`],
    ["cost", `$${t.costUsd.toFixed(4)}`],
    [
      "wall time",
      `${((t.wallMs ?? 0) / 1000).toFixed(1)} s (generation ${((t.generationMs ?? 0) / 1000).toFixed(1)} s, BO ${((t.boMs ?? 0) / 1000).toFixed(1)} s, black box ${((t.evaluationMs ?? 0) / 1000).toFixed(1)} s)`,
    ],
  ];
  if (o.status === "interrupted") lines.push(["resume", `instructzero resume ${o.runId}`]);
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(13)}${v}`).join("\n") + "\n");
}
