/** The `instructzero` command tree: every command, the shared help layout and usage-error handling. */
import { Command } from "commander";
import { redactUrl } from "../util/redact.js";
import { VERSION } from "../version.js";
import { registerBenchCommand } from "./commands/bench.js";
import { registerEvalCommand } from "./commands/eval.js";
import { registerGenerateCommand } from "./commands/generate.js";
import { registerMigrateCommand } from "./commands/migrate.js";
import { registerModelCommand } from "./commands/model.js";
import { registerOptimizeCommands } from "./commands/optimize.js";
import { registerReportCommand } from "./commands/report.js";
import { registerRunsCommand } from "./commands/runs.js";
import { registerShowCommand } from "./commands/show.js";
import { registerTasksCommand } from "./commands/tasks.js";
import { registerTransferCommand } from "./commands/transfer.js";
import { registerUiCommand } from "./commands/ui.js";
import { registerWorkerCommand } from "./commands/worker.js";
import { HELP } from "./help.js";

/** Build the `instructzero` command tree. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name("instructzero")
    .description(
      "Find the best instruction for a black-box LLM from a few input/output examples " +
        "(InstructZero: soft prompts for an open-source generator + Bayesian optimisation).",
    )
    .version(VERSION)
    // every command: descriptions wrapped by commander, first sentences in command lists (./help.ts)
    .configureHelp(HELP)
    .showHelpAfterError("(run with --help for usage)")
    // commander prints usage errors itself (they may repeat an option value such as a URL)
    .configureOutput({ writeErr: (text) => process.stderr.write(redactUrl(text)) })
    // usage errors (unknown option, missing or invalid value) exit 2 like every other input error
    .exitOverride();
  program.addHelpText(
    "after",
    `
Environment:
  OPENAI_API_KEY         API keys (never given as flags)
  ANTHROPIC_API_KEY
  OPENAI_BASE_URL        OpenAI-compatible or Anthropic server (as --base-url)
  ANTHROPIC_BASE_URL
  VLLM_API_KEY           key of the --vllm-url server
  HF_TOKEN               Hugging Face hub token (gated or private models)
  HF_HOME                hub cache folder (default ~/.cache/huggingface)
  HF_HUB_OFFLINE=1       use the hub cache only, never the network
  INSTRUCTZERO_HOME      folder of the default run ledger (~/.instructzero)
  INSTRUCTZERO_STORE     run store: ledger file or postgres:// URL (as --store)
  INSTRUCTZERO_CACHE     response cache file (as --cache)
  INSTRUCTZERO_DATA      benchmark data folder (as --data-dir)
  INSTRUCTZERO_PRICES    JSON file of prices per provider:model ($/1M tokens)
  INSTRUCTZERO_DEBUG=1   print an error's stack trace after its message
  INSTRUCTZERO_RECONNECT_MS  ms to wait for a lost Postgres store [300000]

Exit codes: 0 done (also a run stopped by --max-calls or --max-cost), 1 runtime
failure, 2 usage or input error, 3 the run was taken over by another process,
130 interrupted (\`instructzero resume RUN\`).`,
  );
  registerTasksCommand(program);
  registerEvalCommand(program);
  registerGenerateCommand(program);
  registerModelCommand(program);
  registerOptimizeCommands(program);
  registerBenchCommand(program);
  registerWorkerCommand(program);
  registerRunsCommand(program);
  registerShowCommand(program);
  registerReportCommand(program);
  registerTransferCommand(program);
  registerMigrateCommand(program);
  registerUiCommand(program);
  return program;
}
