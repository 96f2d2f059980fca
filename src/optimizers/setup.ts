import { createBlackBox } from "../blackbox/client.js";
import type { BlackBoxOptions } from "../blackbox/options.js";
import type { BlackBox } from "../blackbox/types.js";
import { loadGenerator } from "../generator/lazy.js";
import type { ProjectionKind } from "../generator/projection.js";
import type { Ledger } from "../store/ledger.js";
import type { RunConfig } from "../store/types.js";
import { UserError } from "../util/errors.js";
import type { RunDeps } from "./run.js";
import type { SoftPromptGenerator } from "./types.js";

/** Black-box options recorded in a run's configuration (never keys: those come from the environment). */
export function blackBoxOptionsOf(config: RunConfig): BlackBoxOptions {
  return {
    baseURL: config.baseURL as string | undefined,
    concurrency: config.concurrency as number | undefined,
    timeoutMs: config.timeoutMs as number | undefined,
    maxRetries: config.maxRetries as number | undefined,
    cache: config.cache !== false,
    cachePath: config.cachePath as string | undefined,
    seed: config.seed,
    // A local: target runs through the generator runtime: same ONNX variant as the generator.
    providerOptions: config.generatorDtype ? { dtype: config.generatorDtype } : undefined,
  };
}

/** The run's generator: the local ONNX runtime, or a vLLM server when `vllmUrl` is set. */
async function openGenerator(config: RunConfig): Promise<SoftPromptGenerator> {
  const options = {
    seed: config.seed,
    nTokens: config.nTokens,
    intrinsicDim: config.intrinsicDim,
    projection: (config.projection as ProjectionKind | undefined) ?? "uniform",
    dtype: config.generatorDtype as string | undefined,
    maxNewTokens: config.instructionTokens as number | undefined,
  };
  if (typeof config.vllmUrl === "string") {
    const fromHub = config.generator!.startsWith("hf:")
      ? config.generator!.slice(3).replace(/@.*$/, "")
      : undefined;
    const model = (config.vllmModel as string | undefined) ?? fromHub;
    if (!model) throw new UserError("--vllm-model is required when the generator is a local folder");
    const { loadVllmGenerator } = await import("../generator/vllm-generator.js");
    return loadVllmGenerator(config.generator!, {
      ...options,
      vllm: { baseURL: config.vllmUrl, model, apiKey: process.env.VLLM_API_KEY || undefined },
    });
  }
  return loadGenerator(config.generator!, options);
}

/**
 * Build what a run needs from its stored configuration: the black box, the APE proposer, the generator
 * and the BO proposer. Used by `optimize`, `resume` and `bench` alike, so a resumed run is wired exactly
 * like the original one.
 */
export async function openRunDeps(
  config: RunConfig,
  ledger: Ledger,
  extra: Pick<RunDeps, "onProgress" | "signal" | "skipTest"> & { blackBoxOptions?: BlackBoxOptions } = {},
): Promise<RunDeps & { close(): Promise<void> }> {
  const bbOptions = { ...blackBoxOptionsOf(config), ...extra.blackBoxOptions };
  const blackBox = createBlackBox(config.target, bbOptions);
  let proposer: BlackBox | undefined;
  const closers: (() => Promise<void>)[] = [() => blackBox.close()];
  try {
    if (config.method === "ape" && typeof config.proposer === "string" && config.proposer !== config.target) {
      proposer = createBlackBox(config.proposer, { ...bbOptions, baseURL: undefined });
      closers.push(() => proposer!.close());
    }
    const generator = config.method === "ape" ? undefined : await openGenerator(config);
    if (generator) closers.push(() => generator.close());
    return {
      ledger,
      blackBox,
      proposer,
      generator,
      pointProposer:
        config.method === "instructzero"
          ? (await import("./bo-proposer.js")).createBoPointProposer()
          : undefined,
      ...extra,
      async close() {
        for (const c of closers.reverse()) await c();
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => {});
    throw err;
  }
}
