/**
 * A fake Anthropic Message Batches API on 127.0.0.1 (random port), speaking the documented wire format:
 *
 *   POST /v1/messages/batches              {requests: [{custom_id, params}]} -> MessageBatch (in_progress)
 *   GET  /v1/messages/batches/{id}         MessageBatch; every retrieve is one step of its script
 *   GET  /v1/messages/batches/{id}/results JSONL: {custom_id, result: {type: succeeded | errored | canceled | expired, ...}}
 *   POST /v1/messages/batches/{id}/cancel  processing_status canceling; the next retrieve ends it
 *
 * A batch stays in_progress for `pollsToEnd` retrieves (default 2), then ends. `fail` decides a
 * request's result type (errored with an error type, or expired); `expireHalf` ends a batch with its
 * second half expired (the 24 h limit); a cancelled batch ends with its second half canceled. Requests are
 * validated as the API does (custom_id ^[a-zA-Z0-9_-]{1,64}$, unique; model, max_tokens, messages).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { estimateTokens, type FakeRequest, instructionSensitiveAnswer } from "../../fixtures/fake-openai.js";
import { readBody, startHttpServer } from "./http-server.js";

/** One request of a batch, as the server read it. */
export interface FakeMessageRequest {
  customId: string;
  params: Record<string, unknown>;
  prompt: string;
  /** 1-based batch number, in creation order. */
  batchNo: number;
}

/** A request's failure instead of an answer. */
export type FakeMessageFailure =
  | { type: "errored"; errorType: string; message: string }
  | { type: "expired" }
  | undefined;

/** Options of {@link startFakeBatchAnthropic}. */
export interface FakeBatchAnthropicOptions {
  /** Retrieves a batch stays in_progress before it ends [2]. */
  pollsToEnd?: number;
  fail?: (r: FakeMessageRequest) => FakeMessageFailure;
  /** Batches (by number) that end with their second half expired. */
  expireHalf?: (batchNo: number) => boolean;
  answer?: (req: FakeRequest) => string;
  /** When set, requests must carry this x-api-key, else 401. */
  apiKey?: string;
}

export interface FakeMessageBatch {
  id: string;
  no: number;
  requests: FakeMessageRequest[];
  polls: number;
  status: "in_progress" | "canceling" | "ended";
  results?: string[];
  counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  cancelInitiated: boolean;
}

export interface FakeBatchAnthropicStats {
  requests: number;
  batchesCreated: number;
  retrieves: number;
  resultDownloads: number;
  cancels: number;
}

export interface FakeBatchAnthropic {
  /** Origin without /v1 (the Anthropic SDK's baseURL). */
  origin: string;
  batches: FakeMessageBatch[];
  stats(): FakeBatchAnthropicStats;
  close(): Promise<void>;
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export async function startFakeBatchAnthropic(
  options: FakeBatchAnthropicOptions = {},
): Promise<FakeBatchAnthropic> {
  const batches: FakeMessageBatch[] = [];
  const stats: FakeBatchAnthropicStats = {
    requests: 0,
    batchesCreated: 0,
    retrieves: 0,
    resultDownloads: 0,
    cancels: 0,
  };
  const pollsToEnd = options.pollsToEnd ?? 2;
  const answer = options.answer ?? instructionSensitiveAnswer;
  let origin = "";
  let msgSeq = 0;

  const view = (b: FakeMessageBatch) => ({
    id: b.id,
    type: "message_batch",
    processing_status: b.status,
    request_counts: { ...b.counts },
    ended_at: b.status === "ended" ? "2024-09-24T19:37:24.100435Z" : null,
    created_at: "2024-09-24T18:37:24.100435Z",
    expires_at: "2024-09-25T18:37:24.100435Z",
    archived_at: null,
    cancel_initiated_at: b.cancelInitiated ? "2024-09-24T18:39:24.100435Z" : null,
    results_url: b.status === "ended" ? `${origin}/v1/messages/batches/${b.id}/results` : null,
  });

  const end = (b: FakeMessageBatch) => {
    b.status = "ended";
    const half = Math.floor(b.requests.length / 2);
    const expire = options.expireHalf?.(b.no) ?? false;
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    b.results = b.requests.map((r, i) => {
      let result: Record<string, unknown>;
      const failure = options.fail?.(r);
      if (i >= half && (b.cancelInitiated || expire)) {
        result = { type: b.cancelInitiated ? "canceled" : "expired" };
      } else if (failure?.type === "expired") {
        result = { type: "expired" };
      } else if (failure?.type === "errored") {
        result = {
          type: "errored",
          error: {
            type: "error",
            error: { type: failure.errorType, message: failure.message },
            request_id: null,
          },
        };
      } else {
        const model = String(r.params.model ?? "");
        const text = answer({ n: ++msgSeq, api: "anthropic", model, prompt: r.prompt, body: r.params });
        result = {
          type: "succeeded",
          message: {
            id: `msg_${msgSeq}`,
            type: "message",
            role: "assistant",
            model,
            content: [{ type: "text", text }],
            stop_reason: "end_turn",
            stop_sequence: null,
            usage: { input_tokens: estimateTokens(r.prompt), output_tokens: estimateTokens(text) },
          },
        };
      }
      const type = result.type as "succeeded" | "errored" | "canceled" | "expired";
      counts[type]++;
      return JSON.stringify({ custom_id: r.customId, result });
    });
    b.counts = counts;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (options.apiKey !== undefined) {
      const given =
        String(req.headers["x-api-key"] ?? "") ||
        (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      if (given !== options.apiKey) return error(res, 401, "authentication_error", "invalid x-api-key");
    }
    if (method === "POST" && path === "/v1/messages/batches") {
      const body = JSON.parse(raw.toString("utf8")) as {
        requests?: { custom_id?: unknown; params?: Record<string, unknown> }[];
      };
      if (!Array.isArray(body.requests) || body.requests.length === 0)
        return error(res, 400, "invalid_request_error", "requests: at least one request is required");
      const seen = new Set<string>();
      const no = batches.length + 1;
      const requests: FakeMessageRequest[] = [];
      for (const r of body.requests) {
        if (typeof r.custom_id !== "string" || !CUSTOM_ID.test(r.custom_id))
          return error(res, 400, "invalid_request_error", `requests.custom_id: must match ${CUSTOM_ID}`);
        if (seen.has(r.custom_id))
          return error(res, 400, "invalid_request_error", `requests: duplicate custom_id ${r.custom_id}`);
        seen.add(r.custom_id);
        const p = r.params;
        if (
          !p ||
          typeof p.model !== "string" ||
          typeof p.max_tokens !== "number" ||
          !Array.isArray(p.messages)
        )
          return error(
            res,
            400,
            "invalid_request_error",
            "requests.params: model, max_tokens and messages are required",
          );
        const prompt = (p.messages as { role?: string; content?: unknown }[])
          .filter((m) => m.role === "user")
          .map((m) => String(m.content))
          .join("\n");
        requests.push({ customId: r.custom_id, params: p, prompt, batchNo: no });
      }
      stats.batchesCreated++;
      const b: FakeMessageBatch = {
        id: `msgbatch_${String(no).padStart(4, "0")}`,
        no,
        requests,
        polls: 0,
        status: "in_progress",
        counts: { processing: requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
        cancelInitiated: false,
      };
      batches.push(b);
      return send(res, 200, view(b));
    }
    const m = /^\/v1\/messages\/batches\/([^/]+)(\/results|\/cancel)?$/.exec(path);
    const b = m ? batches.find((x) => x.id === m[1]) : undefined;
    if (m && !b) return error(res, 404, "not_found_error", `batch ${m[1]} not found`);
    if (b && method === "GET" && !m![2]) {
      stats.retrieves++;
      if (b.status !== "ended") {
        b.polls++;
        if (b.status === "canceling" || b.polls >= pollsToEnd) end(b);
      }
      return send(res, 200, view(b));
    }
    if (b && method === "GET" && m![2] === "/results") {
      if (b.status !== "ended" || !b.results)
        return error(res, 400, "invalid_request_error", "batch has not ended");
      stats.resultDownloads++;
      res.writeHead(200, { "content-type": "application/binary" });
      res.end(`${b.results.join("\n")}\n`);
      return;
    }
    if (b && method === "POST" && m![2] === "/cancel") {
      stats.cancels++;
      if (b.status === "in_progress") {
        b.status = "canceling";
        b.cancelInitiated = true;
      }
      return send(res, 200, view(b));
    }
    return error(res, 404, "not_found_error", `no route ${method} ${path}`);
  }

  const server = await startHttpServer(handle);
  origin = server.url;
  return { origin, batches, stats: () => ({ ...stats }), close: () => server.close() };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { type: "error", error: { type, message } });
}
