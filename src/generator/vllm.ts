/**
 * Generator backend on a vLLM server started with `--enable-prompt-embeds`: each embedded prompt
 * (soft-prompt vectors followed by the embedded chat-templated text, shape (seq, hidden)) is sent
 * as `prompt_embeds` (base64 of torch.save bytes) to POST /v1/completions, greedy decoding.
 * vLLM applies no chat template to embeddings: the caller sends the whole templated prompt.
 */
import { Limiter, linearBackoff, retry } from "../util/async/index.js";
import { UserError } from "../util/errors.js";
import { promptEmbedsBase64, type TorchDtype } from "./torch-save.js";

/** Options of {@link createVllmEmbedsClient}. */
export interface VllmEmbedsOptions {
  /** Server URL, e.g. http://localhost:8000 (a trailing /v1 is accepted too). */
  baseURL: string;
  /** Model name as served (`vllm serve NAME` or --served-model-name). */
  model: string;
  /** Sent as a Bearer token when the server was started with --api-key. */
  apiKey?: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Per-request timeout in ms (default 120000). */
  timeoutMs?: number;
  /** Element type of the transmitted tensor (default float32; float16/bfloat16 halve the payload). */
  dtype?: TorchDtype;
  /** Extra attempts after a connection error, 429 or 5xx (default 2). */
  retries?: number;
  /** Wait before retry k (k = 1, 2, ...) is k * retryDelayMs (default 1000). */
  retryDelayMs?: number;
}

/** Per-call decoding options. */
export interface VllmCompleteOptions {
  maxTokens: number;
  stop?: string[];
}

/** A client that turns embedded prompts into completions on a vLLM server. */
export interface VllmEmbedsClient {
  /** Greedy completion of one embedded prompt `embeds` (row-major, seq x hidden). */
  complete(embeds: Float32Array, seq: number, hidden: number, opts: VllmCompleteOptions): Promise<string>;
}

/** A vLLM request that failed; `status` is the HTTP status when the server answered. */
export class VllmError extends UserError {
  readonly status?: number;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VllmError";
    this.status = status;
  }
}

/** The completions endpoint for a server URL given with or without /v1. */
export function completionsUrl(baseURL: string): string {
  let base = baseURL.trim().replace(/\/+$/, "");
  if (!/^https?:\/\//i.test(base))
    throw new UserError(`vLLM baseURL must start with http:// or https://: ${baseURL}`);
  if (base.endsWith("/v1")) base = base.slice(0, -3);
  return `${base}/v1/completions`;
}

/** The error text of a vLLM / OpenAI-style error body, or the raw body (shortened). */
function serverMessage(body: string): string {
  try {
    const j = JSON.parse(body) as {
      message?: unknown;
      detail?: unknown;
      error?: { message?: unknown } | string;
    };
    const m =
      typeof j.error === "object" && j.error?.message
        ? j.error.message
        : typeof j.error === "string"
          ? j.error
          : (j.message ?? j.detail);
    if (m !== undefined) return typeof m === "string" ? m : JSON.stringify(m);
  } catch {
    // not JSON
  }
  const t = body.trim();
  return t.length > 300 ? `${t.slice(0, 300)}...` : t;
}

function httpError(status: number, body: string, url: string, model: string): VllmError {
  const msg = serverMessage(body);
  let hint = "";
  if (status === 401 || status === 403)
    hint =
      " (check the API key: $VLLM_API_KEY must be the key the vLLM server was started with, its --api-key)";
  else if (status === 404)
    hint = ` (is the model served under the name "${model}"? GET /v1/models lists them)`;
  else if (/enable.prompt.embeds/i.test(msg)) hint = " (start vLLM with --enable-prompt-embeds)";
  else if (/hidden.?size/i.test(msg)) {
    hint = " (the embeddings were computed with a different model than the one the server runs)";
  }
  return new VllmError(`vLLM server ${url} answered HTTP ${status}: ${msg || "(empty body)"}${hint}`, status);
}

/**
 * A client for a vLLM server started with `--enable-prompt-embeds`. Calls to `complete` may be
 * issued all at once: at most `concurrency` requests are in flight.
 */
export function createVllmEmbedsClient(options: VllmEmbedsOptions): VllmEmbedsClient {
  const url = completionsUrl(options.baseURL);
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UserError(`vLLM concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const dtype = options.dtype ?? "float32";
  const limit = new Limiter(concurrency);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  async function once(body: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      if (e.name === "TimeoutError" || e.name === "AbortError") {
        throw new VllmError(`vLLM request to ${url} timed out after ${timeoutMs} ms`, undefined, {
          cause: err,
        });
      }
      const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
      throw new VllmError(
        `cannot reach the vLLM server at ${url} (${why}); is it running (vllm serve ${options.model} --enable-prompt-embeds)?`,
        undefined,
        { cause: err },
      );
    }
    const text = await res.text();
    if (!res.ok) throw httpError(res.status, text, url, options.model);
    let json: { choices?: Array<{ text?: unknown }> };
    try {
      json = JSON.parse(text);
    } catch {
      throw new VllmError(
        `vLLM server ${url} returned a non-JSON response: ${serverMessage(text)}`,
        res.status,
      );
    }
    const out = json.choices?.[0]?.text;
    if (typeof out !== "string") {
      throw new VllmError(
        `vLLM server ${url} returned no choices[0].text: ${serverMessage(text)}`,
        res.status,
      );
    }
    return out;
  }

  return {
    async complete(embeds, seq, hidden, opts) {
      if (!Number.isInteger(seq) || !Number.isInteger(hidden) || seq < 1 || hidden < 1) {
        throw new Error(`vLLM complete: bad shape (${seq}, ${hidden})`);
      }
      if (embeds.length !== seq * hidden) {
        throw new Error(`vLLM complete: ${embeds.length} values for shape (${seq}, ${hidden})`);
      }
      if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) {
        throw new Error(`vLLM complete: maxTokens must be a positive integer, got ${opts.maxTokens}`);
      }
      const payload: Record<string, unknown> = {
        model: options.model,
        prompt_embeds: promptEmbedsBase64(embeds, seq, hidden, dtype),
        max_tokens: opts.maxTokens,
        temperature: 0,
      };
      if (opts.stop && opts.stop.length > 0) payload.stop = opts.stop;
      const body = JSON.stringify(payload);
      return limit.run(() =>
        retry(() => once(body), {
          maxAttempts: retries + 1,
          retryable: (err) => {
            const status = err instanceof VllmError ? err.status : undefined;
            return status === undefined || status === 429 || status >= 500;
          },
          backoff: linearBackoff(retryDelayMs),
        }),
      );
    },
  };
}
