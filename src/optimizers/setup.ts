import { createBatchBlackBox } from "../blackbox/batch/batch-black-box.js";
import { createBlackBox, createFunctionBlackBox } from "../blackbox/client.js";
import type { BlackBoxOptions } from "../blackbox/options.js";
import { resolvePrices } from "../blackbox/pricing.js";
import type { BlackBoxFunction } from "../blackbox/providers/function.js";
import type { BlackBox } from "../blackbox/types.js";
import type { RunConfig } from "../config/schema.js";
import { openGenerator } from "../generator/backends/index.js";
import { judgeMetric } from "../metrics/judge.js";
import { builtinScorer, functionScorer } from "../metrics/scorer.js";
import type { MetricFunction } from "../metrics/types.js";
import type { Ledger } from "../store/ledger.js";
import { StoreRateLimiter } from "../store/rate-limit.js";
import { isMetricName } from "../tasks/metrics.js";
import type { MetricName } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
import { requirePrice } from "./budget.js";
import { getMethod } from "./methods/index.js";
import type { RunDeps } from "./run.js";
import { FUNCTION_METRIC, FUNCTION_TARGET_PREFIX, judgeModelOf } from "./run-config.js";
import { loadUserFunction } from "./user-module.js";

/** Black-box options recorded in a run's configuration (never keys: those come from the environment). */
export function blackBoxOptionsOf(config: RunConfig): BlackBoxOptions {
  return {
    baseURL: config.baseUrl,
    concurrency: config.concurrency,
    timeoutMs: config.timeout,
    maxRetries: config.maxRetries,
    cache: config.cache !== false,
    cachePath: typeof config.cache === "string" ? config.cache : undefined,
    seed: config.seed,
    // A local: target runs through the generator runtime: same ONNX variant as the generator.
    providerOptions: { dtype: config.generatorDtype },
  };
}

/**
 * Black-box options that come from the store rather than the configuration: the response cache lives in
 * the ledger's Postgres database when the ledger does (unless the run names a cache file: `cache` is a
 * path), and a run with `rateLimitRpm` / `rateLimitTpm` shares its rate limit through the ledger's
 * database with every process using it. The database URL is never stored in the configuration.
 */
export function storeBlackBoxOptions(config: RunConfig, ledger: Ledger): BlackBoxOptions {
  const out: BlackBoxOptions = {};
  const shared = ledger.sharedCacheLocation();
  if (config.cache === true && shared !== undefined) out.cachePath = shared;
  if (config.rateLimitRpm !== undefined || config.rateLimitTpm !== undefined) {
    out.rateLimiter = new StoreRateLimiter(ledger.driver, {
      rpm: config.rateLimitRpm,
      tpm: config.rateLimitTpm,
    });
  }
  return out;
}

/** What the caller gives besides the stored configuration (library: functions given in code). */
export interface RunDepsExtras extends Pick<RunDeps, "onProgress" | "signal" | "skipTest"> {
  /** Overrides of the black-box options (tests). */
  blackBoxOptions?: BlackBoxOptions;
  /** The run's function black box (a run whose target is function:...). */
  blackBoxFunction?: BlackBoxFunction;
  /** The run's metric function (a run whose metric is "function"). */
  metricFunction?: MetricFunction;
  /** The task's own metric, used when the run sets none. */
  taskMetric?: MetricName;
}

/**
 * Build what a run needs from its stored configuration: the black box (provider, module or function),
 * the metric (built-in, module, function or judge, with the judge's own black box), the APE proposer,
 * the generator (its backend chosen from the configuration) and the method's point proposer. Used by
 * `optimize`, `resume`, `bench` and the library alike, so a resumed run is wired like the original.
 * `close()` is idempotent.
 */
export async function openRunDeps(
  config: RunConfig,
  ledger: Ledger,
  extra: RunDepsExtras = {},
  runId?: string,
): Promise<RunDeps & { close(): Promise<void> }> {
  const bbOptions = {
    ...blackBoxOptionsOf(config),
    ...storeBlackBoxOptions(config, ledger),
    ...extra.blackBoxOptions,
  };
  const closers: (() => Promise<void>)[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    if (config.maxCost !== undefined) requirePrices(config);
    const method = getMethod(config.method);
    const blackBox = await openTargetBlackBox(config, bbOptions, extra, runId, ledger);
    closers.push(() => blackBox.close());
    let proposer: BlackBox | undefined;
    if (method.usesProposer && config.proposer !== undefined && config.proposer !== config.target) {
      proposer = createBlackBox(config.proposer, {
        ...bbOptions,
        baseURL: baseUrlFor(config.proposer, config),
      });
      closers.push(() => proposer!.close());
    } else if (method.usesProposer && config.target.startsWith(FUNCTION_TARGET_PREFIX)) {
      throw new UserError(
        `method ${method.name} with a function black box needs a proposer model (--proposer provider:model): the function only answers scoring queries`,
      );
    }
    const { metric, judge } = await openMetric(config, bbOptions, extra, runId);
    if (judge) closers.push(() => judge.blackBox.close());
    const generator = method.usesGenerator
      ? await openGenerator({
          source: config.generator,
          seed: config.seed,
          nTokens: config.nTokens,
          intrinsicDim: config.intrinsicDim,
          projection: config.projection,
          dtype: config.generatorDtype,
          maxNewTokens: config.instructionTokens,
          vllmUrl: config.vllmUrl,
          vllmModel: config.vllmModel,
          rawInstructions: config.rawInstructions,
        })
      : undefined;
    if (generator) closers.push(() => generator.close());
    return {
      ledger,
      blackBox,
      proposer,
      generator,
      metric,
      judge,
      pointProposer: await method.pointProposer?.(),
      onProgress: extra.onProgress,
      signal: extra.signal,
      skipTest: extra.skipTest,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function openTargetBlackBox(
  config: RunConfig,
  options: BlackBoxOptions,
  extra: RunDepsExtras,
  runId: string | undefined,
  ledger: Ledger,
): Promise<BlackBox> {
  if (config.batchApi) {
    // the provider's batch API (createBatchBlackBox refuses other providers); batches are recorded in
    // the run's ledger so that a resumed run polls them instead of submitting them again
    if (config.target.startsWith(FUNCTION_TARGET_PREFIX)) {
      throw new UserError(
        "--batch-api needs an openai: or anthropic: target: a function black box has no batch API",
      );
    }
    return createBatchBlackBox(config.target, {
      ...options,
      store: ledger.batchStore(runId),
      batchPriceFactor: config.batchPriceFactor,
      batchPollMs: config.batchPollMs,
      batchMaxRetries: config.batchMaxRetries,
    });
  }
  if (!config.target.startsWith(FUNCTION_TARGET_PREFIX)) return createBlackBox(config.target, options);
  let fn = extra.blackBoxFunction;
  if (config.blackBoxModule)
    fn = await loadUserFunction<BlackBoxFunction>(config.blackBoxModule, "black-box module", runId);
  if (!fn) {
    throw new UserError(
      `${runId ? `run ${runId}` : "this run"} scores a function black box (${config.target}); pass it again (resumeRun(id, { blackBox }))`,
    );
  }
  const id =
    config.blackBoxId ??
    (config.blackBoxModule ? config.target.slice(FUNCTION_TARGET_PREFIX.length) : undefined);
  const { baseURL: _b, providerOptions: _p, ...rest } = options;
  // messages name the module file, not its hash (the id)
  const label = config.blackBoxModule ? `black-box module ${config.blackBoxModule.path}` : undefined;
  return createFunctionBlackBox(fn, { ...rest, id, ...(label ? { label } : {}) });
}

/** The run's metric: a scorer (built-in, module, function), or a judge with its own black box (unbudgeted). */
export async function openMetric(
  config: RunConfig,
  options: BlackBoxOptions,
  extra: RunDepsExtras,
  runId: string | undefined,
): Promise<Pick<RunDeps, "metric" | "judge">> {
  const m = config.metric;
  if (config.metricModule) {
    const fn = await loadUserFunction<MetricFunction>(config.metricModule, "metric module", runId);
    return { metric: functionScorer(fn, `module:${config.metricModule.path}`) };
  }
  if (m === FUNCTION_METRIC) {
    if (!extra.metricFunction) {
      throw new UserError(
        `${runId ? `run ${runId}` : "this run"} is scored by a metric function; pass it again (resumeRun(id, { metric }))`,
      );
    }
    return { metric: functionScorer(extra.metricFunction) };
  }
  const judgeModel = judgeModelOf(config);
  if (judgeModel) {
    const judge = judgeMetric({ model: judgeModel, rubric: config.rubric ?? "" });
    const blackBox = createBlackBox(judge.model, { ...options, baseURL: baseUrlFor(judge.model, config) });
    return { judge: { metric: judge, blackBox } };
  }
  if (m !== undefined && isMetricName(m)) return { metric: builtinScorer(m) };
  return {}; // the task's own metric, chosen when the task is loaded
}

/**
 * The base URL of another model of the run (an APE proposer, an LLM judge): the run's `baseUrl` when
 * that model has the target's provider, or when the target is a function (the URL can only be meant
 * for the models); else the provider's own (environment or default).
 */
function baseUrlFor(model: string, config: RunConfig): string | undefined {
  const provider = (s: string) => s.slice(0, s.indexOf(":"));
  if (config.target.startsWith(FUNCTION_TARGET_PREFIX)) return config.baseUrl;
  return provider(model) === provider(config.target) ? config.baseUrl : undefined;
}

/**
 * A dollar limit needs the price of every model the run pays for (the target, an APE proposer, an LLM
 * judge): a model missing from the price table is an error before anything is spent. A function black
 * box is exempt: its dollars are those it reports.
 */
export function requirePrices(config: RunConfig, env: NodeJS.ProcessEnv = process.env): void {
  const prices = resolvePrices(undefined, env);
  const models = [config.target, config.proposer, judgeModelOf(config)].filter(
    (m): m is string => m !== undefined && !m.startsWith(FUNCTION_TARGET_PREFIX),
  );
  for (const m of models) requirePrice(m, prices);
}
