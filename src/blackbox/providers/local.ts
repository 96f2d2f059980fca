/**
 * The "local" provider: a local instruct model (folder path or hf: id) run through the generator
 * runtime (chat template, greedy decoding), so the whole pipeline runs with no API key.
 * Requests are served one at a time (one ORT session); temperature is ignored (always greedy).
 */
import { type LocalModel, openLocalModel } from "../../generator/local-model.js";
import { UserError } from "../../util/errors.js";
import type { CompletionRequest, Provider, ProviderResponse } from "../types.js";

/** Settings of the local provider (also read from BlackBoxOptions.providerOptions). */
export interface LocalProviderOptions {
  /** ONNX variant (fp32, fp16, q4 ...). */
  dtype?: string;
  /** Hub revision for hf: ids. */
  revision?: string;
  /** ORT intra-op threads. */
  threads?: number;
  /** Default max new tokens when a request sets none (default 128). */
  maxTokens?: number;
  /** Extra settings given by the black-box layer (its providerOptions are read from here). */
  providerOptions?: Record<string, unknown>;
}

/** Read the generator settings from the options, where providerOptions takes precedence. */
function settingsOf(options: LocalProviderOptions): LocalProviderOptions {
  const p = options.providerOptions ?? {};
  const pick = <T>(k: string, fallback: T): T => (p[k] === undefined ? fallback : (p[k] as T));
  return {
    dtype: pick("dtype", options.dtype),
    revision: pick("revision", options.revision),
    threads: pick("threads", options.threads),
    maxTokens: pick("maxTokens", options.maxTokens),
  };
}

/** Provider over an opened local model. Calls are serialised. */
class LocalProvider implements Provider {
  readonly provider = "local";
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly model: string,
    private readonly local: LocalModel,
    private readonly defaultMaxTokens: number,
  ) {}

  complete(request: CompletionRequest, options: { signal: AbortSignal }): Promise<ProviderResponse> {
    const run = async (): Promise<ProviderResponse> => {
      options.signal.throwIfAborted();
      const r = await this.local.complete(request.prompt, {
        system: request.system,
        maxNewTokens: request.maxTokens ?? this.defaultMaxTokens,
        stop: request.stop,
      });
      return { text: r.text, usage: { inputTokens: r.promptTokens, outputTokens: r.newTokens } };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.local.close();
  }
}

/**
 * Create the local provider for `model` (a folder path or hf:org/name). Loads the model and
 * prepares its graphs once (cached beside the model files).
 */
export async function createLocalProvider(
  model: string,
  options: LocalProviderOptions = {},
): Promise<Provider> {
  if (!model.trim())
    throw new UserError('local provider: empty model name (use "local:PATH" or "local:hf:org/name")');
  const s = settingsOf(options);
  const local = await openLocalModel(model, { dtype: s.dtype, revision: s.revision, threads: s.threads });
  return new LocalProvider(model, local, s.maxTokens ?? 128);
}
