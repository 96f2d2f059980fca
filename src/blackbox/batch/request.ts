/**
 * Requests as the batch layer knows them: normalised exactly as the black-box client does (so a
 * request's custom id is its response-cache key, shared with non-batch runs), and the key of a whole
 * batch. The bodies of batch lines are the providers' own (../providers/*-wire.ts).
 */
import { createHash } from "node:crypto";
import { cacheKey } from "../cache.js";
import type { CompletionParams, CompletionRequest } from "../types.js";

/** The black box's defaults for parameters a request leaves out. */
export interface RequestDefaults {
  temperature: number;
  maxTokens: number | undefined;
}

/**
 * `r` with the defaults filled in and undefined fields dropped: the normalisation the black box applies to
 * every request (../client.ts), so the cache key below equals the client's for the same request.
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
