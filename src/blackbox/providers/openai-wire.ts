/**
 * The wire format of OpenAI's chat completions, shared by the one-at-a-time provider (./openai.ts) and
 * its Batch API (./openai-batch.ts): the request body and the parsing of a response body.
 */
import type OpenAI from "openai";
import { BadResponseError } from "../errors.js";
import type { CompletionRequest, ProviderResponse } from "../types.js";

/** OpenAI's own API. Any other base URL counts as a custom (self-hosted) server. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

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

/**
 * True for OpenAI reasoning models (o1, o3, o4-mini, gpt-5 ...), which reject any temperature but
 * their default: on OpenAI's own URL the parameter is left out for them (it stays in the cache key).
 */
export function fixedTemperature(model: string): boolean {
  return /^(o\d|gpt-5)([.-]|$)/.test(model);
}

/** Text and usage of a chat-completions body; anything unusable is a BadResponseError. */
export function parseChatCompletion(res: unknown, where: string): ProviderResponse {
  if (typeof res !== "object" || res === null) {
    throw new BadResponseError(
      `${where}: response is not a JSON object (got ${describe(res)}); is the base URL the API's (often ending in /v1)?`,
      { notJson: typeof res === "string" },
    );
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
