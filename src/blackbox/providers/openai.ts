/**
 * Provider for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, LM Studio,
 * ...), through the official `openai` SDK with its own retries off: the black-box wrapper owns
 * retries, timeouts and limits. Registers itself as "openai".
 */
import OpenAI from "openai";
import { redactUrl } from "../../util/redact.js";
import { batchTimeoutMs } from "../batch/timeouts.js";
import { AuthenticationError } from "../errors.js";
import type { ProviderFactoryOptions } from "../options.js";
import { registerProvider } from "../registry.js";
import type { BatchApi, CompletionRequest, Provider, ProviderResponse } from "../types.js";
import { checkBaseURL, type ErrorContext, mapThrown } from "./map-error.js";
import { createOpenAIBatchApi } from "./openai-batch.js";
import { chatCompletionBody, OPENAI_DEFAULT_BASE_URL, parseChatCompletion } from "./openai-wire.js";

export {
  chatCompletionBody,
  fixedTemperature,
  OPENAI_DEFAULT_BASE_URL,
  parseChatCompletion,
} from "./openai-wire.js";

/** Placeholder key sent to custom servers that need none (vLLM, Ollama). */
const NO_KEY = "no-key";

/**
 * Build the provider for `model`. Key: `options.apiKey`, else OPENAI_API_KEY. Base URL:
 * `options.baseURL`, else OPENAI_BASE_URL, else OpenAI's; a malformed or non-http(s) one is a
 * UserError. A missing key is an AuthenticationError (before any request) for OpenAI's own URL, and
 * allowed for a custom server.
 */
export function createOpenAIProvider(model: string, options: ProviderFactoryOptions): Provider {
  const env = options.env;
  // A malformed URL, another scheme or credentials in it: a UserError now, never a retried request.
  const baseURL = options.baseURL
    ? checkBaseURL(options.baseURL, "the baseURL option (--base-url)")
    : env.OPENAI_BASE_URL
      ? checkBaseURL(env.OPENAI_BASE_URL, "the OPENAI_BASE_URL environment variable")
      : OPENAI_DEFAULT_BASE_URL;
  const custom = baseURL !== OPENAI_DEFAULT_BASE_URL;
  const apiKey = options.apiKey || env.OPENAI_API_KEY || undefined;
  const keyHint = "the OPENAI_API_KEY environment variable (from code: createBlackBox's apiKey option)";
  if (!apiKey && !custom) {
    throw new AuthenticationError(
      `no API key for openai:${model}: set ${keyHint}, or point OPENAI_BASE_URL / --base-url at a server that needs none`,
    );
  }
  const client = new OpenAI({
    apiKey: apiKey ?? NO_KEY,
    baseURL,
    maxRetries: 0,
    // Our AbortSignal enforces the per-request timeout; the SDK's only backs it up.
    timeout: options.timeoutMs + 1000,
    organization: env.OPENAI_ORG_ID ?? null,
    project: env.OPENAI_PROJECT_ID ?? null,
  });
  const ctx: ErrorContext = { provider: "openai", model, keyHint, secrets: [apiKey] };
  let batchApi: BatchApi | undefined;

  return {
    provider: "openai",
    model,
    baseURL: custom ? baseURL : undefined,
    async complete(request: CompletionRequest, { signal }): Promise<ProviderResponse> {
      const body = chatCompletionBody(model, request, custom);
      let res: unknown;
      try {
        res = await client.chat.completions.create(body, { signal });
      } catch (err) {
        throw mapThrown(err, ctx, signal, OpenAI);
      }
      return parseChatCompletion(res, `openai:${model}`);
    },
    // the Batch API (files + batches) of the same server, key and organisation
    batch: {
      maxRequests: 50_000,
      api: () =>
        (batchApi ??= createOpenAIBatchApi({
          model,
          apiKey,
          baseURL,
          custom,
          timeoutMs: batchTimeoutMs(options.timeoutMs),
          env,
          keyHint,
        })),
    },
  };
}

/** The shell command that cancels an OpenAI batch (the key named by its variable, never included). */
function cancelBatchCommand(batchId: string, baseURL?: string): string {
  const base = (baseURL ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, "");
  return `curl -X POST ${redactUrl(base)}/batches/${batchId}/cancel -H "Authorization: Bearer $OPENAI_API_KEY"`;
}

registerProvider("openai", createOpenAIProvider, { cancelBatchCommand });
