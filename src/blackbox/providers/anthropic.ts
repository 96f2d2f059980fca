/**
 * Provider for Anthropic's Messages API through `@anthropic-ai/sdk`, SDK retries off (the
 * black-box wrapper owns them). Registers itself as "anthropic".
 */
import type Anthropic from "@anthropic-ai/sdk";
import { AuthenticationError, BadResponseError } from "../errors.js";
import type { ProviderFactoryOptions } from "../options.js";
import { registerProvider } from "../registry.js";
import type { CompletionRequest, Provider, ProviderResponse } from "../types.js";
import { checkBaseURL, type ErrorContext, mapThrown } from "./map-error.js";

/** Anthropic's own API. */
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The Messages API requires max_tokens; used when neither request nor options give one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

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

  return {
    provider: "anthropic",
    model,
    baseURL: custom ? baseURL : undefined,
    async complete(request: CompletionRequest, { signal }): Promise<ProviderResponse> {
      const body: Anthropic.MessageCreateParamsNonStreaming = {
        model,
        max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        messages: [{ role: "user", content: request.prompt }],
      };
      if (request.system) body.system = request.system;
      // The Messages API has deprecated `temperature` (SDK 1.x dropped the field); only the
      // claude-3 family is known to take it, so it is sent to those alone.
      if (request.temperature !== undefined && acceptsTemperature(model)) {
        (body as unknown as Record<string, unknown>).temperature = request.temperature;
      }
      if (request.stop && request.stop.length > 0) body.stop_sequences = request.stop;
      const { Sdk, client } = await connect();
      let res: unknown;
      try {
        res = await client.messages.create(body, { signal });
      } catch (err) {
        throw mapThrown(err, ctx, signal, Sdk);
      }
      return parseMessage(res, `anthropic:${model}`);
    },
  };
}

/** True for models known to accept the deprecated `temperature` parameter (claude-3*). */
export function acceptsTemperature(model: string): boolean {
  return /^claude-3([.-]|$)/.test(model);
}

/** Text (all text blocks joined) and usage of a Messages API body. */
export function parseMessage(res: unknown, where: string): ProviderResponse {
  const r = res as {
    content?: Array<{ type?: unknown; text?: unknown }>;
    usage?: { input_tokens?: unknown; output_tokens?: unknown } | null;
  } | null;
  if (typeof r !== "object" || r === null || !Array.isArray(r.content)) {
    throw new BadResponseError(`${where}: response has no content array`);
  }
  const text = r.content
    .filter((b) => b?.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("");
  const n = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : 0);
  return { text, usage: { inputTokens: n(r.usage?.input_tokens), outputTokens: n(r.usage?.output_tokens) } };
}

registerProvider("anthropic", createAnthropicProvider);
