/**
 * A real HTTP server on 127.0.0.1 (random port) that speaks the OpenAI chat-completions wire
 * format (POST /v1/chat/completions) and, for the Anthropic provider, the Messages API
 * (POST /v1/messages). Answers come from a pluggable function; latency, API-key checks and faults
 * (429 with Retry-After, 500, 503, slow answers, malformed or choice-less bodies, connection
 * resets) are scriptable per request number or drawn with a seeded Rng. Every request is logged
 * with monotonic timestamps, and the server tracks how many are in flight at once.
 *
 * Used by the black-box tests, the eval benchmark and the optimiser tests:
 *
 *   const server = await startFakeOpenAI({ faults: { 1: "429", 2: "500" } });
 *   const bb = createBlackBox("openai:fake", { baseURL: server.url, cache: false });
 *   ...
 *   await server.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Rng } from "../../src/util/rng.js";

/** Faults the server can inject instead of (or before) a normal answer. */
export type FakeFault =
  /** HTTP 429 with a Retry-After header (options.retryAfter). */
  | "429"
  /** HTTP 500 / 503 with an error body. */
  | "500"
  | "503"
  /** HTTP 401 (as for a wrong key). */
  | "401"
  /** HTTP 400 (as for an unknown model). */
  | "400"
  /** A normal answer, but only after options.slowMs (beyond a short client timeout). */
  | "slow"
  /** HTTP 200, content-type JSON, truncated body. */
  | "malformed"
  /** HTTP 200 with `choices: []` (Anthropic: no content array). */
  | "no-choices"
  /** The socket is destroyed without any response. */
  | "reset";

/** The wire format a request came in. */
export type FakeApi = "openai" | "anthropic";

/** What the answer function sees. */
export interface FakeRequest {
  /** 1-based number of this request among all requests the server received. */
  n: number;
  api: FakeApi;
  model: string;
  /** The user message text. */
  prompt: string;
  system?: string;
  /** The parsed JSON body, untouched. */
  body: Record<string, unknown>;
}

/** One line of the request log. Times are `performance.now()` milliseconds (monotonic). */
export interface FakeLogEntry {
  n: number;
  api: FakeApi;
  model: string;
  prompt: string;
  /** The parsed body (to check temperature, stop, max tokens ... on the wire). */
  body: Record<string, unknown>;
  /** The fault injected, if any. */
  fault?: FakeFault;
  /** HTTP status sent (0 for a reset or a client that went away first). */
  status: number;
  /** When the request body had been read. */
  start: number;
  /** When the response was finished (or the socket destroyed). */
  end?: number;
}

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** request -> answer text. Default {@link instructionSensitiveAnswer}. */
  answer?: (req: FakeRequest) => string | Promise<string>;
  /** Added latency before every answer, ms [0]. */
  latencyMs?: number;
  /** When set, requests must carry this key (Bearer; Anthropic also x-api-key), else 401. */
  apiKey?: string;
  /** Faults by 1-based request number, e.g. { 1: "429", 2: "500" }. */
  faults?: Record<number, FakeFault>;
  /** Probability that a request (not scripted in `faults`) gets a random fault [0]. */
  faultRate?: number;
  /** Faults drawn when `faultRate` triggers [["429", "500", "503", "malformed", "no-choices", "reset"]]. */
  faultKinds?: FakeFault[];
  /** Seed of the fault draws [0]. */
  seed?: number;
  /** Retry-After header value sent with 429 (seconds or an HTTP date) ["1"]. */
  retryAfter?: string;
  /** How long a "slow" fault waits before answering, ms [5000]. */
  slowMs?: number;
}

/** Live counters. */
export interface FakeStats {
  /** Requests received (all routes, faults included). */
  requests: number;
  /** Requests answered with a normal 200 completion. */
  completions: number;
  /** Requests that got a fault. */
  faults: number;
  /** Requests being handled right now. */
  inFlight: number;
  /** Highest `inFlight` seen. */
  maxInFlight: number;
}

/** A running fake server. */
export interface FakeOpenAI {
  /** Base URL including /v1, for the openai provider (`baseURL`). */
  url: string;
  /** Origin without /v1, for the anthropic provider (its SDK appends /v1/messages). */
  origin: string;
  /** The request log, in arrival order. */
  requests: FakeLogEntry[];
  stats(): FakeStats;
  /** Replace the scripted faults (request numbers keep counting from where they are). */
  setFaults(faults: Record<number, FakeFault>): void;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

const ANTONYMS: Record<string, string> = {
  good: "bad",
  hot: "cold",
  big: "small",
  fast: "slow",
  happy: "sad",
  up: "down",
  light: "dark",
  open: "closed",
  early: "late",
  old: "new",
  high: "low",
  strong: "weak",
  rich: "poor",
  wet: "dry",
  full: "empty",
  hard: "soft",
  loud: "quiet",
  long: "short",
  win: "lose",
  love: "hate",
};
for (const [a, b] of Object.entries(ANTONYMS)) ANTONYMS[b] = a;

/** The wrong word the default answerer gives when the instruction says nothing it understands. */
export const FAKE_WRONG_ANSWER = "banana";

/**
 * Split a prompt of the shape "Instruction: I\n\nInput: X\n\nOutput:" (any case for the labels,
 * any whitespace between parts). Returns undefined when there is no "Input:".
 */
export function parseInstructionPrompt(prompt: string): { instruction: string; input: string } | undefined {
  const m = /^([\s\S]*?)\binput:\s*([\s\S]*?)\s*(?:\n\s*output\s*:[\s\S]*)?$/i.exec(prompt);
  if (!m) return undefined;
  const instruction = m[1].replace(/^[\s\S]*?\binstruction:\s*/i, "").trim();
  return { instruction, input: m[2].trim() };
}

/**
 * Default answerer, sensitive to the instruction: "antonym"/"opposite" -> the antonym of the input
 * (from a small built-in map, "not X" when unknown), "repeat" -> the input itself, anything else
 * -> {@link FAKE_WRONG_ANSWER}. So an optimiser that finds an antonym instruction scores 1 on an
 * antonym task and everything else scores 0.
 */
export function instructionSensitiveAnswer(req: FakeRequest): string {
  const parsed = parseInstructionPrompt(req.prompt);
  if (!parsed) return FAKE_WRONG_ANSWER;
  const instruction = parsed.instruction.toLowerCase();
  const x = parsed.input;
  if (/antonym|opposite/.test(instruction)) return ANTONYMS[x.toLowerCase()] ?? `not ${x}`;
  if (/repeat/.test(instruction)) return x;
  return FAKE_WRONG_ANSWER;
}

/** Rough token count used for the usage fields: one token per 4 characters, at least 1. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Start the server on 127.0.0.1 with a random port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const answer = options.answer ?? instructionSensitiveAnswer;
  let faults: Record<number, FakeFault> = { ...(options.faults ?? {}) };
  const faultKinds = options.faultKinds ?? ["429", "500", "503", "malformed", "no-choices", "reset"];
  const rng = new Rng(options.seed ?? 0);
  const log: FakeLogEntry[] = [];
  const stats: FakeStats = { requests: 0, completions: 0, faults: 0, inFlight: 0, maxInFlight: 0 };
  const sockets = new Set<import("node:net").Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const pickFault = (n: number): FakeFault | undefined => {
    if (faults[n]) return faults[n];
    if (options.faultRate && options.faultRate > 0 && rng.uniform() < options.faultRate)
      return rng.pick(faultKinds);
    return undefined;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "";
    const api: FakeApi | undefined =
      req.method === "POST" && url.startsWith("/v1/chat/completions")
        ? "openai"
        : req.method === "POST" && url.startsWith("/v1/messages")
          ? "anthropic"
          : undefined;
    const raw = await readBody(req);
    if (!api) {
      sendJSON(res, 404, {
        error: { message: `no route ${req.method} ${url}`, type: "invalid_request_error" },
      });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      sendJSON(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } });
      return;
    }
    const n = ++stats.requests;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const { prompt, system } = api === "openai" ? openaiPrompt(body) : anthropicPrompt(body);
    const model = String(body.model ?? "");
    const entry: FakeLogEntry = { n, api, model, prompt, body, status: 0, start: performance.now() };
    log.push(entry);
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      entry.status = status;
      entry.end = performance.now();
      stats.inFlight--;
    };
    res.on("close", () => finish(entry.status));
    try {
      if (options.apiKey !== undefined) {
        const bearer = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
        // Anthropic's SDK sends x-api-key (older) or a Bearer token (1.x); accept either there.
        const given = api === "openai" ? bearer : String(req.headers["x-api-key"] ?? "") || bearer;
        if (given !== options.apiKey) {
          // Deliberately echo the key received, as a careless proxy might: clients must not repeat it.
          sendError(res, api, 401, "authentication_error", `Incorrect API key provided: ${given}`);
          finish(401);
          return;
        }
      }
      const fault = pickFault(n);
      if (fault) {
        entry.fault = fault;
        stats.faults++;
      }
      switch (fault) {
        case "429":
          sendError(res, api, 429, "rate_limit_error", "Rate limit reached, slow down", {
            "retry-after": options.retryAfter ?? "1",
          });
          finish(429);
          return;
        case "500":
        case "503":
        case "401":
        case "400": {
          const status = Number(fault);
          const type =
            status === 401 ? "authentication_error" : status === 400 ? "invalid_request_error" : "api_error";
          sendError(res, api, status, type, `injected fault ${fault}`);
          finish(status);
          return;
        }
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"id": "chatcmpl-broken", "choices": [{"message": {"content": "trunc');
          finish(200);
          return;
        case "no-choices":
          sendJSON(
            res,
            200,
            api === "openai"
              ? {
                  id: `chatcmpl-${n}`,
                  object: "chat.completion",
                  model,
                  choices: [],
                  usage: usage(prompt, ""),
                }
              : { id: `msg_${n}`, type: "message", role: "assistant", model },
          );
          finish(200);
          return;
        case "reset":
          finish(0);
          req.socket.destroy();
          return;
        case "slow":
          await wait(options.slowMs ?? 5000);
          break;
        default:
          break;
      }
      await wait(options.latencyMs ?? 0);
      const text = await answer({ n, api, model, prompt, system, body });
      if (res.destroyed || res.writableEnded) return;
      sendJSON(
        res,
        200,
        api === "openai" ? openaiBody(n, model, prompt, text) : anthropicBody(n, model, prompt, text),
      );
      stats.completions++;
      finish(200);
    } catch (err) {
      if (!res.headersSent && !res.destroyed)
        sendError(res, api, 500, "api_error", `fake server: ${String(err)}`);
      finish(500);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.destroyed) res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    requests: log,
    stats: () => ({ ...stats }),
    setFaults(next) {
      faults = { ...next };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJSON(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  api: FakeApi,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body =
    api === "openai"
      ? { error: { message, type, param: null, code: null } }
      : { type: "error", error: { type, message } };
  sendJSON(res, status, body, headers);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((c) => (typeof c === "object" && c !== null && typeof c.text === "string" ? c.text : ""))
      .join("");
  }
  return "";
}

function openaiPrompt(body: Record<string, unknown>): { prompt: string; system?: string } {
  const messages = Array.isArray(body.messages)
    ? (body.messages as Array<{ role?: string; content?: unknown }>)
    : [];
  const user = messages.filter((m) => m.role === "user").map((m) => textOf(m.content));
  const sys = messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content));
  return { prompt: user.join("\n"), system: sys.length > 0 ? sys.join("\n") : undefined };
}

function anthropicPrompt(body: Record<string, unknown>): { prompt: string; system?: string } {
  const messages = Array.isArray(body.messages)
    ? (body.messages as Array<{ role?: string; content?: unknown }>)
    : [];
  const user = messages.filter((m) => m.role === "user").map((m) => textOf(m.content));
  return { prompt: user.join("\n"), system: body.system === undefined ? undefined : textOf(body.system) };
}

function usage(prompt: string, text: string) {
  const p = estimateTokens(prompt);
  const c = estimateTokens(text);
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}

function openaiBody(n: number, model: string, prompt: string, text: string) {
  return {
    id: `chatcmpl-${n}`,
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      { index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "stop" },
    ],
    usage: usage(prompt, text),
  };
}

function anthropicBody(n: number, model: string, prompt: string, text: string) {
  return {
    id: `msg_${n}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: estimateTokens(prompt), output_tokens: estimateTokens(text) },
  };
}
