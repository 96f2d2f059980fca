/**
 * Provider for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, LM Studio,
 * ...), through the official `openai` SDK with its own retries off: the black-box wrapper owns
 * retries, timeouts and limits. Registers itself as "openai".
 */
import OpenAI from "openai";
import { AuthenticationError, BadResponseError } from "../errors.js";
import type { ProviderFactoryOptions } from "../options.js";
import { registerProvider } from "../registry.js";
import type { CompletionRequest, Provider, ProviderResponse } from "../types.js";
import { checkBaseURL, type ErrorContext, mapThrown } from "./map-error.js";

/** OpenAI's own API. Any other base URL counts as a custom (self-hosted) server. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

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
  };
}

/**
 * True for OpenAI reasoning models (o1, o3, o4-mini, gpt-5 ...), which reject any temperature but
 * their default: on OpenAI's own URL the parameter is left out for them (it stays in the cache key).
 */
/**
 * The chat-completions body of one request (also the body of a Batch API line): system and user
 * messages, temperature unless the model only takes its default, stop strings, and the token limit as
 * `max_completion_tokens` (OpenAI's newer models accept only that) or `max_tokens` (compatible servers).
 */
export function chatCompletionBody(
  model: string,
  request: CompletionRequest,
  custom: boolean,
): OpenAI.ChatCompletionCreateParamsNonStreaming {
  const messages: OpenAI.ChatCompletionMessageParam[] = [];
  if (request.system) messages.push({ role: "system", content: request.system });
  messages.push({ role: "user", content: request.prompt });
  const body: OpenAI.ChatCompletionCreateParamsNonStreaming = { model, messages };
  if (request.temperature !== undefined && (custom || !fixedTemperature(model))) {
    body.temperature = request.temperature;
  }
  if (request.stop && request.stop.length > 0) body.stop = request.stop;
  if (request.maxTokens !== undefined) {
    if (custom) body.max_tokens = request.maxTokens;
    else body.max_completion_tokens = request.maxTokens;
  }
  return body;
}

export function fixedTemperature(model: string): boolean {
  return /^(o\d|gpt-5)([.-]|$)/.test(model);
}

/** Text and usage of a chat-completions body; anything unusable is a BadResponseError. */
export function parseChatCompletion(res: unknown, where: string): ProviderResponse {
  if (typeof res !== "object" || res === null) {
    throw new BadResponseError(`${where}: response is not a JSON object (got ${describe(res)})`);
  }
  const r = res as {
    choices?: Array<{ message?: { content?: unknown; refusal?: unknown } }>;
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  };
  if (!Array.isArray(r.choices) || r.choices.length === 0) {
    throw new BadResponseError(`${where}: response has no choices`);
  }
  const message = r.choices[0]?.message;
  if (typeof message !== "object" || message === null) {
    throw new BadResponseError(`${where}: response choice has no message`);
  }
  const content = message.content ?? message.refusal ?? "";
  if (typeof content !== "string") {
    throw new BadResponseError(`${where}: message content is not text (got ${describe(content)})`);
  }
  return {
    text: content,
    usage: { inputTokens: count(r.usage?.prompt_tokens), outputTokens: count(r.usage?.completion_tokens) },
  };
}

function count(x: unknown): number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : 0;
}

function describe(x: unknown): string {
  const s = typeof x === "string" ? JSON.stringify(x) : String(x === null ? "null" : typeof x);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

registerProvider("openai", createOpenAIProvider);
