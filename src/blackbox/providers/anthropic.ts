/**
 * Provider for Anthropic's Messages API through `@anthropic-ai/sdk`, SDK retries off (the
 * black-box wrapper owns them). Registers itself as "anthropic".
 */
import type Anthropic from "@anthropic-ai/sdk";
import { redactUrl } from "../../util/redact.js";
import { batchTimeoutMs } from "../batch/timeouts.js";
import { AuthenticationError } from "../errors.js";
import type { ProviderFactoryOptions } from "../options.js";
import { registerProvider } from "../registry.js";
import type { BatchApi, CompletionRequest, Provider, ProviderResponse } from "../types.js";
import { createAnthropicBatchApi } from "./anthropic-batch.js";
import { ANTHROPIC_DEFAULT_BASE_URL, messageParams, parseMessage } from "./anthropic-wire.js";
import { checkBaseURL, type ErrorContext, mapThrown } from "./map-error.js";

export {
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  acceptsTemperature,
  parseMessage,
} from "./anthropic-wire.js";

/**
 * Build the provider for `model`. Key: `options.apiKey`, else ANTHROPIC_API_KEY (required for
 * Anthropic's own URL). Base URL: `options.baseURL`, else ANTHROPIC_BASE_URL, else Anthropic's; a
 * malformed or non-http(s) one is a UserError.
 */
export function createAnthropicProvider(model: string, options: ProviderFactoryOptions): Provider {
  const env = options.env;
  // A malformed URL, another scheme or credentials in it: a UserError now, never a retried request.
  const baseURL = options.baseURL
    ? checkBaseURL(options.baseURL, "the baseURL option (--base-url)")
    : env.ANTHROPIC_BASE_URL
      ? checkBaseURL(env.ANTHROPIC_BASE_URL, "the ANTHROPIC_BASE_URL environment variable")
      : ANTHROPIC_DEFAULT_BASE_URL;
  const custom = baseURL !== ANTHROPIC_DEFAULT_BASE_URL;
  const apiKey = options.apiKey || env.ANTHROPIC_API_KEY || undefined;
  const keyHint = "the ANTHROPIC_API_KEY environment variable (from code: createBlackBox's apiKey option)";
  if (!apiKey && !custom) {
    throw new AuthenticationError(`no API key for anthropic:${model}: set ${keyHint}`);
  }
  // The SDK is loaded on the first request: importing it costs ~0.6 s of CLI start-up otherwise.
  let sdk: Promise<{ Sdk: typeof Anthropic; client: Anthropic }> | undefined;
  const connect = () =>
    (sdk ??= import("@anthropic-ai/sdk").then(({ default: Sdk }) => ({
      Sdk,
      client: new Sdk({
        apiKey: apiKey ?? "no-key",
        authToken: null,
        baseURL,
        maxRetries: 0,
        timeout: options.timeoutMs + 1000,
      }),
    })));
  const ctx: ErrorContext = { provider: "anthropic", model, keyHint, secrets: [apiKey] };
  let batchApi: BatchApi | undefined;

  return {
    provider: "anthropic",
    model,
    baseURL: custom ? baseURL : undefined,
    async complete(request: CompletionRequest, { signal }): Promise<ProviderResponse> {
      const body = messageParams(model, request) as unknown as Anthropic.MessageCreateParamsNonStreaming;
      const { Sdk, client } = await connect();
      let res: unknown;
      try {
        res = await client.messages.create(body, { signal });
      } catch (err) {
        throw mapThrown(err, ctx, signal, Sdk);
      }
      return parseMessage(res, `anthropic:${model}`);
    },
    // Message Batches of the same server and key
    batch: {
      maxRequests: 100_000,
      api: () =>
        (batchApi ??= createAnthropicBatchApi({
          model,
          apiKey,
          baseURL,
          timeoutMs: batchTimeoutMs(options.timeoutMs),
          keyHint,
        })),
    },
  };
}

/** The shell command that cancels a Message Batch (the key named by its variable, never included). */
function cancelBatchCommand(batchId: string, baseURL?: string): string {
  const base = (baseURL ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, "");
  return `curl -X POST ${redactUrl(base)}/v1/messages/batches/${batchId}/cancel -H "x-api-key: $ANTHROPIC_API_KEY" -H "anthropic-version: 2023-06-01"`;
}

registerProvider("anthropic", createAnthropicProvider, { cancelBatchCommand });
