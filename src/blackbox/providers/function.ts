/**
 * The user's own system as a black box: an async function that receives the instruction and the
 * input (not a rendered prompt) and returns the answer. It sits behind the same wrapper as the API
 * providers (concurrency limit, timeout, retries of transient errors, cache, accounting).
 */
import { BlackBoxError } from "../errors.js";
import type { CompletionRequest, Provider, ProviderResponse } from "../types.js";

/** What a function black box receives. */
export interface BlackBoxQuery {
  instruction: string;
  input: string;
  /**
   * The demonstrations of a few-shot prompt (`targetDemos`, `demoSearch`): input/output pairs to show
   * your model before the input, in order; empty when the prompt is zero-shot.
   */
  demos: { input: string; output: string }[];
  /** Aborted when the call times out or the run stops: pass it on to your HTTP calls. */
  signal: AbortSignal;
}

/** What a function black box returns: the answer, or the answer with its usage. */
export type BlackBoxAnswer =
  | string
  | {
      text: string;
      /** Tokens and dollars of this call, when the pipeline knows them (counted in the run's totals). */
      usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
    };

/** The user's pipeline: `async ({ instruction, input }) => answer`. */
export type BlackBoxFunction = (query: BlackBoxQuery) => BlackBoxAnswer | Promise<BlackBoxAnswer>;

/**
 * A failure worth retrying, thrown by a function black box (a rate limit, a flaky service). Any error
 * with a property `transient: true` is treated the same; `retryAfterMs` asks for a wait.
 */
export class TransientError extends BlackBoxError {
  constructor(
    message: string,
    options?: { cause?: unknown /** Wait this long before the retry. */; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = "TransientError";
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** A provider that calls `fn`; `id` names it in messages (a label such as `black-box module FILE`, or its id). */
export function functionProvider(fn: BlackBoxFunction, id: string): Provider {
  if (typeof fn !== "function") throw new TypeError("blackBox must be a function or a provider:model id");
  return {
    provider: "function",
    model: id,
    selfPriced: true,
    // zero-shot queries keep the key they always had; demonstrations are part of it when there are any
    cacheText: (request: CompletionRequest) =>
      JSON.stringify(
        request.parts
          ? request.parts.demos?.length
            ? [request.parts.instruction, request.parts.input, request.parts.demos]
            : [request.parts.instruction, request.parts.input]
          : request.prompt,
      ),
    async complete(request, { signal }): Promise<ProviderResponse & { costUsd?: number }> {
      if (!request.parts) {
        throw new BlackBoxError(
          `the function black box (${id}) only answers scoring queries (instruction + input); ` +
            "APE proposals need a model: set proposer to a provider:model id",
        );
      }
      const answer = await abortable(
        Promise.resolve().then(() =>
          fn({
            instruction: request.parts!.instruction,
            input: request.parts!.input,
            demos: (request.parts!.demos ?? []).map((d) => ({ input: d.input, output: d.output })),
            signal,
          }),
        ),
        signal,
      ).catch((err: unknown) => {
        if (err instanceof BlackBoxError) throw err;
        const e = err as { transient?: unknown; retryAfterMs?: unknown; message?: unknown };
        if (e && typeof e === "object" && e.transient === true) {
          throw new TransientError(`${id}: ${String(e.message ?? err)}`, {
            cause: err,
            retryAfterMs: typeof e.retryAfterMs === "number" ? e.retryAfterMs : undefined,
          });
        }
        throw err;
      });
      return toResponse(answer, id);
    },
  };
}

function toResponse(answer: BlackBoxAnswer, id: string): ProviderResponse & { costUsd?: number } {
  if (typeof answer === "string") return { text: answer, usage: { inputTokens: 0, outputTokens: 0 } };
  if (answer === null || typeof answer !== "object" || typeof answer.text !== "string") {
    throw new TypeError(
      `${blackBoxName(id)} returned ${JSON.stringify(answer)?.slice(0, 80)}; it must return a string or { text, usage }`,
    );
  }
  const u = answer.usage ?? {};
  const count = (v: unknown, name: string) => {
    if (v === undefined) return 0;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new TypeError(
        `${blackBoxName(id)} returned usage.${name} = ${JSON.stringify(v)}; expected a number >= 0`,
      );
    return v;
  };
  const out: ProviderResponse & { costUsd?: number } = {
    text: answer.text,
    usage: {
      inputTokens: count(u.inputTokens, "inputTokens"),
      outputTokens: count(u.outputTokens, "outputTokens"),
    },
  };
  if (u.costUsd !== undefined) out.costUsd = count(u.costUsd, "costUsd");
  return out;
}

/** `p`, or a rejection with the signal's reason once it aborts (a function may ignore its signal). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** `id` as messages name it: a label (`black-box module FILE`) as it is, a bare id as `black box ID`. */
function blackBoxName(id: string): string {
  return id.includes(" ") ? id : `black box ${id}`;
}
