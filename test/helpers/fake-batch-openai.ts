/**
 * A fake OpenAI Batch API on 127.0.0.1 (random port), speaking the documented wire format:
 *
 *   POST /v1/files                 multipart (purpose "batch", file: JSONL of {custom_id, method, url, body})
 *   GET  /v1/files/{id}/content    the file's bytes (input, output or error file)
 *   POST /v1/batches               {input_file_id, endpoint, completion_window, metadata} -> Batch
 *   GET  /v1/batches/{id}          Batch; every retrieve advances the batch one status of its script
 *   GET  /v1/batches?limit&after   {object: "list", data (newest first), first_id, last_id, has_more}
 *   POST /v1/batches/{id}/cancel   status cancelling; the next retrieve ends it as cancelled
 *
 * A batch's script is its list of statuses (default validating -> in_progress -> finalizing ->
 * completed); the terminal one decides the files: completed (every line answered, or failed by
 * `fail`: HTTP errors go to the error file), expired (the first half answered, the rest
 * `batch_expired` in the error file), cancelled (the same with `batch_cancelled`), failed (no files,
 * `errors` says why). Input is validated as OpenAI does (unique custom_id, one model, method/url, the
 * endpoint and the 24h window): a bad file fails the batch with `errors`.
 *
 * Answers come from `instructionSensitiveAnswer` (fixtures/fake-openai.ts) unless `answer` is given;
 * usage is one token per 4 characters. Counters (`stats()`) let tests check nothing was submitted twice.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { estimateTokens, type FakeRequest, instructionSensitiveAnswer } from "../../fixtures/fake-openai.js";
import { readBody, startHttpServer } from "./http-server.js";

/** One line of an input file, as the server read it. */
export interface FakeBatchLine {
  customId: string;
  body: Record<string, unknown>;
  /** The user message. */
  prompt: string;
  /** 1-based number of the batch, in creation order. */
  batchNo: number;
}

/** How a line fails instead of being answered. */
export type FakeLineFailure = { status: number; message: string } | undefined;

/** Options of {@link startFakeBatchOpenAI}. */
export interface FakeBatchOpenAIOptions {
  /** Statuses a batch goes through, one per retrieve, by batch number (1-based) [validating, in_progress, finalizing, completed]. */
  script?: (batchNo: number) => string[];
  /** A line's failure (HTTP status and message in the error file), or undefined to answer it. */
  fail?: (line: FakeBatchLine) => FakeLineFailure;
  /** Answer text [instructionSensitiveAnswer]. */
  answer?: (req: FakeRequest) => string;
  /** When set, requests must carry this Bearer key, else 401. */
  apiKey?: string;
  /** HTTP status to answer request number n (1-based over all routes) with instead, e.g. 500. */
  fault?: (n: number, method: string, path: string) => number | undefined;
  /** True to never answer upload number n (1-based; the client sees a hung upload) [none]. */
  holdUpload?: (n: number) => boolean;
}

/** A batch as the fake holds it. */
export interface FakeOpenAIBatch {
  id: string;
  no: number;
  inputFileId: string;
  script: string[];
  step: number;
  status: string;
  lines: FakeBatchLine[];
  outputFileId?: string;
  errorFileId?: string;
  errors?: { code: string; message: string; line: number | null }[];
  metadata: unknown;
  createdAt: number;
}

/** Counters of a fake batch server. */
export interface FakeBatchStats {
  requests: number;
  uploads: number;
  /** Uploads received and never answered (holdUpload). */
  uploadsHeld: number;
  batchesCreated: number;
  retrieves: number;
  lists: number;
  downloads: number;
  cancels: number;
}

/** A running fake. */
export interface FakeBatchOpenAI {
  /** Base URL including /v1 (the openai SDK's baseURL). */
  url: string;
  batches: FakeOpenAIBatch[];
  /** Every line of every batch created, in order. */
  lines(): FakeBatchLine[];
  stats(): FakeBatchStats;
  close(): Promise<void>;
}

const TERMINAL = new Set(["completed", "failed", "expired", "cancelled"]);

export async function startFakeBatchOpenAI(options: FakeBatchOpenAIOptions = {}): Promise<FakeBatchOpenAI> {
  const files = new Map<string, { content: string; purpose: string; filename: string }>();
  const batches: FakeOpenAIBatch[] = [];
  const stats: FakeBatchStats = {
    requests: 0,
    uploads: 0,
    uploadsHeld: 0,
    batchesCreated: 0,
    retrieves: 0,
    lists: 0,
    downloads: 0,
    cancels: 0,
  };
  let fileSeq = 0;
  let lineSeq = 0;
  const answer = options.answer ?? instructionSensitiveAnswer;

  const addFile = (content: string, purpose: string, filename: string): string => {
    const id = `file-${++fileSeq}`;
    files.set(id, { content, purpose, filename });
    return id;
  };

  const view = (b: FakeOpenAIBatch) => {
    const ended = TERMINAL.has(b.status);
    const total = b.status === "failed" ? 0 : b.lines.length;
    const processed = ended
      ? total
      : b.status === "in_progress" || b.status === "finalizing"
        ? Math.floor(total / 2)
        : 0;
    const failedLines =
      ended && b.errorFileId
        ? (files.get(b.errorFileId)?.content.split("\n").filter(Boolean).length ?? 0)
        : 0;
    return {
      id: b.id,
      object: "batch",
      endpoint: "/v1/chat/completions",
      errors: b.errors ? { object: "list", data: b.errors } : null,
      input_file_id: b.inputFileId,
      completion_window: "24h",
      status: b.status,
      output_file_id: b.outputFileId ?? null,
      error_file_id: b.errorFileId ?? null,
      created_at: b.createdAt,
      in_progress_at: null,
      expires_at: b.createdAt + 86_400,
      finalizing_at: null,
      completed_at: b.status === "completed" ? b.createdAt + 60 : null,
      failed_at: b.status === "failed" ? b.createdAt + 1 : null,
      expired_at: b.status === "expired" ? b.createdAt + 86_400 : null,
      cancelling_at: null,
      cancelled_at: b.status === "cancelled" ? b.createdAt + 30 : null,
      request_counts: { total, completed: processed - failedLines, failed: failedLines },
      metadata: b.metadata ?? null,
    };
  };

  /** The batch reaches `status`; a terminal one writes its output and error files. */
  const enter = (b: FakeOpenAIBatch, status: string) => {
    b.status = status;
    if (!TERMINAL.has(status) || status === "failed") return;
    const out: string[] = [];
    const err: string[] = [];
    const cutoff = status === "completed" ? b.lines.length : Math.floor(b.lines.length / 2);
    b.lines.forEach((line, i) => {
      const id = `batch_req_${++lineSeq}`;
      if (i >= cutoff) {
        const code = status === "expired" ? "batch_expired" : "batch_cancelled";
        const message =
          status === "expired"
            ? "This request could not be executed before the completion window expired."
            : "This request was not executed because the batch was cancelled.";
        err.push(JSON.stringify({ id, custom_id: line.customId, response: null, error: { code, message } }));
        return;
      }
      const failure = options.fail?.(line);
      if (failure) {
        err.push(
          JSON.stringify({
            id,
            custom_id: line.customId,
            response: {
              status_code: failure.status,
              request_id: `req_${lineSeq}`,
              body: {
                error: { message: failure.message, type: "invalid_request_error", param: null, code: null },
              },
            },
            error: null,
          }),
        );
        return;
      }
      const model = String(line.body.model ?? "");
      const text = answer({ n: lineSeq, api: "openai", model, prompt: line.prompt, body: line.body });
      const p = estimateTokens(line.prompt);
      const c = estimateTokens(text);
      out.push(
        JSON.stringify({
          id,
          custom_id: line.customId,
          response: {
            status_code: 200,
            request_id: `req_${lineSeq}`,
            body: {
              id: `chatcmpl-${lineSeq}`,
              object: "chat.completion",
              created: 1_700_000_000,
              model,
              choices: [
                {
                  index: 0,
                  message: { role: "assistant", content: text, refusal: null },
                  finish_reason: "stop",
                },
              ],
              usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c },
            },
          },
          error: null,
        }),
      );
    });
    if (out.length > 0)
      b.outputFileId = addFile(`${out.join("\n")}\n`, "batch_output", `${b.id}_output.jsonl`);
    if (err.length > 0) b.errorFileId = addFile(`${err.join("\n")}\n`, "batch_output", `${b.id}_error.jsonl`);
  };

  /** Validate an input file as OpenAI does; the errors fail the batch. */
  const parseInput = (content: string, batchNo: number) => {
    const lines: FakeBatchLine[] = [];
    const errors: { code: string; message: string; line: number | null }[] = [];
    const seen = new Set<string>();
    let model: unknown;
    content.split("\n").forEach((raw, i) => {
      if (raw.trim() === "") return;
      let r: { custom_id?: unknown; method?: unknown; url?: unknown; body?: Record<string, unknown> };
      try {
        r = JSON.parse(raw);
      } catch {
        errors.push({
          code: "invalid_json_line",
          message: "This line is not parseable as valid JSON.",
          line: i + 1,
        });
        return;
      }
      if (typeof r.custom_id !== "string" || seen.has(r.custom_id)) {
        errors.push({
          code: "duplicate_custom_id",
          message: "The custom_id for this request is a duplicate or missing.",
          line: i + 1,
        });
        return;
      }
      seen.add(r.custom_id);
      if (r.method !== "POST" || r.url !== "/v1/chat/completions" || typeof r.body !== "object") {
        errors.push({
          code: "invalid_request",
          message: "method must be POST and url /v1/chat/completions",
          line: i + 1,
        });
        return;
      }
      if (model !== undefined && r.body.model !== model) {
        errors.push({ code: "mismatched_model", message: "All lines must use the same model.", line: i + 1 });
        return;
      }
      model = r.body.model;
      const messages = (r.body.messages ?? []) as { role?: string; content?: unknown }[];
      const prompt = messages
        .filter((m) => m.role === "user")
        .map((m) => String(m.content))
        .join("\n");
      lines.push({ customId: r.custom_id, body: r.body, prompt, batchNo });
    });
    if (lines.length === 0 && errors.length === 0)
      errors.push({ code: "empty_file", message: "The input file is empty.", line: null });
    return { lines, errors };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++stats.requests;
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (options.apiKey !== undefined) {
      const bearer = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      if (bearer !== options.apiKey) {
        return send(res, 401, {
          error: {
            message: "Incorrect API key provided",
            type: "invalid_request_error",
            code: "invalid_api_key",
          },
        });
      }
    }
    const fault = options.fault?.(n, method, path);
    if (fault)
      return send(res, fault, { error: { message: `injected fault ${fault}`, type: "server_error" } });

    if (method === "POST" && path === "/v1/files") {
      if (options.holdUpload?.(stats.uploads + stats.uploadsHeld + 1)) {
        stats.uploadsHeld++;
        return; // never answered: the connection stays open until the client goes or the server closes
      }
      const form = await new Response(raw, {
        headers: { "content-type": String(req.headers["content-type"] ?? "") },
      }).formData();
      const file = form.get("file");
      const purpose = String(form.get("purpose") ?? "");
      if (!(file instanceof Blob) || purpose !== "batch") {
        return send(res, 400, {
          error: { message: "file and purpose 'batch' are required", type: "invalid_request_error" },
        });
      }
      stats.uploads++;
      const content = await file.text();
      const filename = (file as File).name ?? "upload.jsonl";
      const id = addFile(content, purpose, filename);
      return send(res, 200, {
        id,
        object: "file",
        bytes: Buffer.byteLength(content),
        created_at: Math.floor(Date.now() / 1000),
        filename,
        purpose,
        status: "processed",
        expires_at: null,
        status_details: null,
      });
    }
    let m = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
    if (method === "GET" && m) {
      const f = files.get(m[1]);
      if (!f)
        return send(res, 404, {
          error: { message: `No such File object: ${m[1]}`, type: "invalid_request_error" },
        });
      stats.downloads++;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(f.content);
      return;
    }
    if (method === "POST" && path === "/v1/batches") {
      const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      const f = files.get(String(body.input_file_id));
      if (!f)
        return send(res, 400, {
          error: { message: `No such file: ${body.input_file_id}`, type: "invalid_request_error" },
        });
      if (body.endpoint !== "/v1/chat/completions" || body.completion_window !== "24h") {
        return send(res, 400, {
          error: { message: "unsupported endpoint or completion_window", type: "invalid_request_error" },
        });
      }
      stats.batchesCreated++;
      const no = batches.length + 1;
      const { lines, errors } = parseInput(f.content, no);
      const script =
        errors.length > 0
          ? ["validating", "failed"]
          : (options.script?.(no) ?? ["validating", "in_progress", "finalizing", "completed"]);
      const b: FakeOpenAIBatch = {
        id: `batch_${no}`,
        no,
        inputFileId: String(body.input_file_id),
        script,
        step: 0,
        status: script[0],
        lines,
        metadata: body.metadata,
        createdAt: 1_700_000_000 + no,
      };
      if (script[0] === "failed" || errors.length > 0)
        b.errors =
          errors.length > 0 ? errors : [{ code: "failed", message: "validation failed", line: null }];
      batches.push(b);
      enter(b, script[0]);
      return send(res, 200, view(b));
    }
    if (method === "GET" && path === "/v1/batches") {
      stats.lists++;
      const limit = Number(url.searchParams.get("limit") ?? 20);
      const after = url.searchParams.get("after");
      const newest = [...batches].reverse();
      const start = after ? newest.findIndex((b) => b.id === after) + 1 : 0;
      const page = newest.slice(start, start + limit);
      return send(res, 200, {
        object: "list",
        data: page.map(view),
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: start + limit < newest.length,
      });
    }
    m = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    const b = m ? batches.find((x) => x.id === m![1]) : undefined;
    if (m && !b)
      return send(res, 404, {
        error: { message: `No batch found with id '${m[1]}'.`, type: "invalid_request_error" },
      });
    if (method === "GET" && b && !m![2]) {
      stats.retrieves++;
      if (!TERMINAL.has(b.status)) {
        if (b.status === "cancelling") enter(b, "cancelled");
        else if (b.step + 1 < b.script.length) {
          b.step++;
          enter(b, b.script[b.step]);
          if (b.status === "failed" && !b.errors)
            b.errors = [{ code: "failed", message: "the batch failed", line: null }];
        }
      }
      return send(res, 200, view(b));
    }
    if (method === "POST" && b && m![2]) {
      stats.cancels++;
      if (!TERMINAL.has(b.status)) b.status = "cancelling";
      return send(res, 200, view(b));
    }
    return send(res, 404, {
      error: { message: `no route ${method} ${path}`, type: "invalid_request_error" },
    });
  }

  const server = await startHttpServer(handle);
  return {
    url: `${server.url}/v1`,
    batches,
    lines: () => batches.flatMap((b) => b.lines),
    stats: () => ({ ...stats }),
    close: () => server.close(),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
