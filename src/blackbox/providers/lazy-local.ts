/**
 * Registers "local" with a factory that imports ./local.js (the generator-backed provider) only
 * when a local model is first asked for, so the ONNX runtime never loads for API-only use.
 */

/** Requests the local provider decodes together (the default concurrency of local: targets). */
import { LOCAL_BATCH_SIZE } from "../../generator/batch-limits.js";
import { loadOrt } from "../../generator/ort.js";
import { UserError } from "../../util/errors.js";
import type { ProviderFactoryOptions } from "../options.js";
import { registerProvider } from "../registry.js";
import type { Provider } from "../types.js";

export { LOCAL_BATCH_SIZE };

type LocalModule = {
  createLocalProvider?: (model: string, options: ProviderFactoryOptions) => Provider | Promise<Provider>;
};

/** Load ./local.js and build the provider; a missing or broken module is a UserError. */
export async function loadLocalProvider(model: string, options: ProviderFactoryOptions): Promise<Provider> {
  // A computed specifier keeps the compiler from requiring the module to exist at build time.
  const specifier = "./local.js";
  // local models run on onnxruntime-node, an optional peer dependency: say what to install when it is missing
  await loadOrt(`the local black box local:${model}`);
  let mod: LocalModule;
  try {
    mod = (await import(specifier)) as LocalModule;
  } catch (err) {
    throw new UserError(
      `the local provider is unavailable (cannot load src/blackbox/providers/local: ${(err as Error).message}); ` +
        "use an openai: or anthropic: model instead",
      { cause: err },
    );
  }
  if (typeof mod.createLocalProvider !== "function") {
    throw new UserError("the local provider is unavailable (its module exports no createLocalProvider)");
  }
  return mod.createLocalProvider(model, options);
}

registerProvider("local", loadLocalProvider, { defaultConcurrency: LOCAL_BATCH_SIZE });
