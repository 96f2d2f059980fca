/**
 * Anthropic Message Batches through `@anthropic-ai/sdk` (`messages.batches`, SDK retries off): create a
 * batch of requests ({custom_id: the request's cache key, params: the Messages API body}), poll it
 * (processing_status in_progress -> canceling -> ended, with request_counts), then stream its results
 * (JSONL lines of succeeded / errored / canceled / expired). The SDK is loaded on first use.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { BatchApi, BatchState, LineResult } from "../types.js";
import { messageParams, parseMessage } from "./anthropic-wire.js";
import { type ErrorContext, mapThrown } from "./map-error.js";

/** Settings of {@link createAnthropicBatchApi}. */
export interface AnthropicBatchSettings {
  model: string;
  apiKey: string | undefined;
  baseURL: string;
  timeoutMs: number;
  keyHint: string;
}

/** Error types of an errored request that a retry cannot fix. */
const PERMANENT_ERRORS = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "billing_error",
]);

/** The Message Batches endpoints of Anthropic's API (or a server speaking it). */
export function createAnthropicBatchApi(s: AnthropicBatchSettings): BatchApi {
  let sdk: Promise<{ Sdk: typeof Anthropic; client: Anthropic }> | undefined;
  const connect = () =>
    (sdk ??= import("@anthropic-ai/sdk").then(({ default: Sdk }) => ({
      Sdk,
      client: new Sdk({
        apiKey: s.apiKey ?? "no-key",
        authToken: null,
        baseURL: s.baseURL,
        maxRetries: 0,
        timeout: s.timeoutMs,
      }),
    })));
  const ctx: ErrorContext = {
    provider: "anthropic",
    model: s.model,
    keyHint: s.keyHint,
    secrets: [s.apiKey],
  };
  const where = `anthropic:${s.model}`;
  const guard = async <T>(signal: AbortSignal, fn: (client: Anthropic) => Promise<T>): Promise<T> => {
    const { Sdk, client } = await connect();
    try {
      return await fn(client);
    } catch (err) {
      throw mapThrown(err, ctx, signal, Sdk);
    }
  };

  return {
    provider: "anthropic",

    create({ lines }, signal) {
      if (!lines) throw new Error("anthropic batches are created from their requests");
      return guard(signal, async (client) => {
        const batch = await client.messages.batches.create(
          {
            requests: lines.map((l) => ({
              custom_id: l.customId,
              params: messageParams(
                s.model,
                l.request,
              ) as unknown as Anthropic.MessageCreateParamsNonStreaming,
            })),
          },
          { signal },
        );
        return { id: batch.id, state: stateOf(batch) };
      });
    },

    retrieve(batchId, signal) {
      return guard(signal, async (client) =>
        stateOf(await client.messages.batches.retrieve(batchId, {}, { signal })),
      );
    },

    results(batchId, _state, signal) {
      return guard(signal, async (client) => {
        const out: LineResult[] = [];
        const lines = await client.messages.batches.results(batchId, {}, { signal });
        for await (const item of lines) {
          const r = lineResult(item, where);
          if (r) out.push(r);
        }
        return out;
      });
    },

    async cancel(batchId, signal) {
      await guard(signal, (client) => client.messages.batches.cancel(batchId, {}, { signal }));
    },
  };
}

/** The common view of a Message Batch. */
export function stateOf(b: Anthropic.Messages.MessageBatch): BatchState {
  const c = b.request_counts ?? { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const failed = (c.errored ?? 0) + (c.canceled ?? 0) + (c.expired ?? 0);
  const done = (c.succeeded ?? 0) + failed;
  return {
    status: String(b.processing_status),
    ended: b.processing_status === "ended",
    done,
    failed,
    total: done + (c.processing ?? 0),
  };
}

/** One results line: `{"custom_id", "result": {"type": "succeeded", "message"} | {"type": "errored", "error"} | ...}`. */
function lineResult(
  item: Anthropic.Messages.MessageBatchIndividualResponse,
  where: string,
): LineResult | undefined {
  if (typeof item?.custom_id !== "string" || typeof item.result !== "object" || item.result === null)
    return undefined;
  const customId = item.custom_id;
  const r = item.result;
  switch (r.type) {
    case "succeeded":
      try {
        return { customId, ok: true, response: parseMessage(r.message, where) };
      } catch (err) {
        return { customId, ok: false, error: (err as Error).message, kind: "retry" };
      }
    case "errored": {
      const e = (r.error as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
      const type = String(e?.type ?? "error");
      const message = `${type}: ${String(e?.message ?? "")}`;
      return {
        customId,
        ok: false,
        error: message,
        kind: PERMANENT_ERRORS.has(type) ? "permanent" : "retry",
      };
    }
    case "canceled":
      return { customId, ok: false, error: "canceled: the batch was cancelled", kind: "cancelled" };
    case "expired":
      return {
        customId,
        ok: false,
        error: "expired: the batch ended (24 h) before this request ran",
        kind: "retry",
      };
    default:
      return {
        customId,
        ok: false,
        error: `unknown result type ${String((r as { type?: unknown }).type)}`,
        kind: "retry",
      };
  }
}
