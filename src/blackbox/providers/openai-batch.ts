/**
 * The OpenAI Batch API through the official `openai` SDK (its retries off: the batch black box retries
 * transient failures itself): upload a JSONL file (purpose "batch") of POST /v1/chat/completions lines
 * whose custom_id is the request's cache key, create a batch over it (completion_window "24h"), poll it
 * (validating -> in_progress -> finalizing -> completed; or failed, expired, cancelling -> cancelled),
 * then read the output file (answers) and the error file (failed requests). Works with any
 * OpenAI-compatible base URL that implements /files and /batches.
 */
import OpenAI, { toFile } from "openai";
import { BadResponseError } from "../errors.js";
import type { BatchApi, BatchLine, BatchState, LineResult } from "../types.js";
import { type ErrorContext, mapThrown } from "./map-error.js";
import { chatCompletionBody, parseChatCompletion } from "./openai-wire.js";

/** Statuses after which an OpenAI batch no longer changes. */
const ENDED = new Set(["completed", "failed", "expired", "cancelled"]);

/** Pages of GET /batches searched for a batch created from a given file (newest first, 100 a page). */
const FIND_PAGES = 5;

/** Settings of {@link createOpenAIBatchApi}. */
export interface OpenAIBatchSettings {
  model: string;
  apiKey: string | undefined;
  /** Resolved base URL (OpenAI's own or a compatible server's). */
  baseURL: string;
  /** True for a server other than OpenAI's own (body conventions differ, see openAIBody). */
  custom: boolean;
  /** SDK timeout per HTTP request (the caller's abort signal is the real one). */
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  keyHint: string;
}

/** The batch endpoints of an OpenAI-compatible server. */
export function createOpenAIBatchApi(s: OpenAIBatchSettings): BatchApi {
  const client = new OpenAI({
    apiKey: s.apiKey ?? "no-key",
    baseURL: s.baseURL,
    maxRetries: 0,
    timeout: s.timeoutMs,
    organization: s.env.OPENAI_ORG_ID ?? null,
    project: s.env.OPENAI_PROJECT_ID ?? null,
  });
  const ctx: ErrorContext = { provider: "openai", model: s.model, keyHint: s.keyHint, secrets: [s.apiKey] };
  const where = `openai:${s.model}`;
  const guard = async <T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw mapThrown(err, ctx, signal, OpenAI);
    }
  };

  return {
    provider: "openai",

    upload(lines: BatchLine[], key: string, signal: AbortSignal): Promise<string> {
      const jsonl = lines
        .map((l) =>
          JSON.stringify({
            custom_id: l.customId,
            method: "POST",
            url: "/v1/chat/completions",
            body: chatCompletionBody(s.model, l.request, s.custom),
          }),
        )
        .join("\n");
      return guard(signal, async () => {
        const file = await client.files.create(
          {
            file: await toFile(Buffer.from(`${jsonl}\n`, "utf8"), `instructzero-${key.slice(0, 16)}.jsonl`, {
              type: "application/jsonl",
            }),
            purpose: "batch",
          },
          { signal },
        );
        if (typeof file?.id !== "string") throw new BadResponseError(`${where}: file upload returned no id`);
        return file.id;
      });
    },

    create({ fileId, key }, signal) {
      if (!fileId) throw new Error("openai batches are created from an uploaded file");
      return guard(signal, async () => {
        const batch = await client.batches.create(
          {
            input_file_id: fileId,
            endpoint: "/v1/chat/completions",
            completion_window: "24h",
            metadata: { instructzero_key: key },
          },
          { signal },
        );
        return { id: idOf(batch), state: stateOf(batch) };
      });
    },

    findByFile(fileId, signal) {
      return guard(signal, async () => {
        let page = await client.batches.list({ limit: 100 }, { signal });
        for (let n = 0; n < FIND_PAGES; n++) {
          const found = page.data.find((b) => b.input_file_id === fileId);
          if (found) return { id: idOf(found), state: stateOf(found) };
          if (!page.hasNextPage()) break;
          page = await page.getNextPage();
        }
        return undefined;
      });
    },

    retrieve(batchId, signal) {
      return guard(signal, async () => stateOf(await client.batches.retrieve(batchId, { signal })));
    },

    results(_batchId, state, signal) {
      return guard(signal, async () => {
        const out: LineResult[] = [];
        for (const fileId of [state.outputFileId, state.errorFileId]) {
          if (!fileId) continue;
          const res = await client.files.content(fileId, { signal });
          const text = await res.text();
          for (const line of text.split("\n")) {
            if (line.trim() === "") continue;
            const r = lineResult(line, where);
            if (r) out.push(r);
          }
        }
        return out;
      });
    },

    async cancel(batchId, signal) {
      await guard(signal, () => client.batches.cancel(batchId, { signal }));
    },
  };
}

function idOf(batch: { id?: unknown }): string {
  if (typeof batch?.id !== "string") throw new BadResponseError("batch response has no id");
  return batch.id;
}

/** The common view of an OpenAI batch object. */
export function stateOf(b: OpenAI.Batch): BatchState {
  const counts = b.request_counts;
  const errors = b.errors?.data
    ?.map((e) => `${e.code ?? "error"}: ${e.message ?? ""}${e.line != null ? ` (line ${e.line})` : ""}`)
    .join("; ");
  return {
    status: String(b.status),
    ended: ENDED.has(b.status),
    done: (counts?.completed ?? 0) + (counts?.failed ?? 0),
    failed: counts?.failed ?? 0,
    total: counts?.total ?? 0,
    ...(b.output_file_id ? { outputFileId: b.output_file_id } : {}),
    ...(b.error_file_id ? { errorFileId: b.error_file_id } : {}),
    ...(errors ? { errors } : {}),
  };
}

/**
 * One line of an output or error file:
 * `{"id", "custom_id", "response": {"status_code", "request_id", "body"} | null, "error": {"code", "message"} | null}`.
 */
function lineResult(line: string, where: string): LineResult | undefined {
  let r: {
    custom_id?: unknown;
    response?: { status_code?: unknown; body?: unknown } | null;
    error?: { code?: unknown; message?: unknown } | null;
  };
  try {
    r = JSON.parse(line);
  } catch {
    return undefined; // an unreadable line: its request counts as having no result (retried)
  }
  if (typeof r?.custom_id !== "string") return undefined;
  const customId = r.custom_id;
  if (r.error) {
    const code = String(r.error.code ?? "error");
    const message = `${code}: ${String(r.error.message ?? "")}`;
    if (code === "batch_cancelled") return { customId, ok: false, error: message, kind: "cancelled" };
    return { customId, ok: false, error: message, kind: "retry" };
  }
  const status = typeof r.response?.status_code === "number" ? r.response.status_code : 0;
  const body = r.response?.body as { error?: { message?: unknown } } | undefined;
  if (status >= 200 && status < 300) {
    try {
      return { customId, ok: true, response: parseChatCompletion(body, where) };
    } catch (err) {
      return { customId, ok: false, error: (err as Error).message, kind: "retry" };
    }
  }
  const message = `HTTP ${status}: ${String(body?.error?.message ?? "no message")}`;
  return { customId, ok: false, error: message, kind: permanentStatus(status) ? "permanent" : "retry" };
}

/** HTTP statuses of requests that would fail the same way again (a wrong request, not a busy server). */
export function permanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}
