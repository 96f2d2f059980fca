/**
 * Requests as the batch layer sends them: normalised exactly as the black-box client does (so a
 * request's custom id is its response-cache key, shared with non-batch runs), the key of a whole batch,
 * and the bodies of one OpenAI chat-completions line and one Anthropic Messages request (the same bodies
 * the providers in ../providers send one at a time).
 */
import { createHash } from "node:crypto";
import { cacheKey } from "../cache.js";
import { ANTHROPIC_DEFAULT_MAX_TOKENS, acceptsTemperature } from "../providers/anthropic.js";
import { chatCompletionBody } from "../providers/openai.js";
import type { CompletionParams, CompletionRequest } from "../types.js";

/** The black box's defaults for parameters a request leaves out. */
export interface RequestDefaults {
  temperature: number;
  maxTokens: number | undefined;
}

/**
 * `r` with the defaults filled in and undefined fields dropped: the same normalisation as the client's
 * (src/blackbox/client.ts, `params`), so the cache key below equals the client's for the same request.
 */
export function normalizeRequest(r: CompletionRequest, d: RequestDefaults): CompletionRequest {
  const p: CompletionParams = { temperature: r.temperature ?? d.temperature };
  const maxTokens = r.maxTokens ?? d.maxTokens;
  if (maxTokens !== undefined) p.maxTokens = maxTokens;
  if (r.stop && r.stop.length > 0) p.stop = [...r.stop];
  if (r.system !== undefined && r.system !== "") p.system = r.system;
  return { prompt: r.prompt, ...p };
}

/** The response-cache key of a normalised request: also its custom id in a batch (64 hex characters). */
export function requestKey(
  provider: string,
  model: string,
  baseURL: string | undefined,
  request: CompletionRequest,
): string {
  const { prompt, parts: _parts, ...params } = request;
  return cacheKey({ provider, baseURL, model, params, prompt });
}

/**
 * The key of a batch: sha256 of its sorted custom ids, one a line; a follow-up batch (attempt n > 0)
 * hashes "attempt n" first, so that retrying the same requests is a different batch. A resumed run
 * that issues the same requests computes the same key and finds the stored batch.
 */
export function jobKey(customIds: readonly string[], attempt: number): string {
  const h = createHash("sha256");
  if (attempt > 0) h.update(`attempt ${attempt}\n`);
  h.update([...customIds].sort().join("\n"));
  return h.digest("hex");
}

/** The chat-completions body of one request, as the openai provider sends it. */
export const openAIBody = chatCompletionBody;

/** The Messages API parameters of one request, as the anthropic provider sends them. */
export function anthropicParams(model: string, request: CompletionRequest): Record<string, unknown> {
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
