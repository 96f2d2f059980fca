/**
 * The wire format of Anthropic's Messages API, shared by the one-at-a-time provider (./anthropic.ts) and
 * its Message Batches (./anthropic-batch.ts): the request parameters and the parsing of a message.
 */
import { BadResponseError } from "../errors.js";
import type { CompletionRequest, ProviderResponse } from "../types.js";

/** Anthropic's own API. */
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The Messages API requires max_tokens; used when neither request nor options give one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/**
 * The Messages API parameters of one request (also the params of a batch request). The API has
 * deprecated `temperature` (SDK 1.x dropped the field); only the claude-3 family is known to take it,
 * so it is sent to those alone.
 */
export function messageParams(model: string, request: CompletionRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: [{ role: "user", content: request.prompt }],
  };
  if (request.system) body.system = request.system;
  if (request.temperature !== undefined && acceptsTemperature(model)) body.temperature = request.temperature;
  if (request.stop && request.stop.length > 0) body.stop_sequences = request.stop;
  return body;
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
    const notJson = typeof res === "string";
    throw new BadResponseError(
      notJson
        ? `${where}: response is not JSON; is the base URL the API's?`
        : `${where}: response has no content array`,
      { notJson },
    );
  }
  const text = r.content
    .filter((b) => b?.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("");
  const n = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : 0);
  return { text, usage: { inputTokens: n(r.usage?.input_tokens), outputTokens: n(r.usage?.output_tokens) } };
}
