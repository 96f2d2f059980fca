/**
 * Issue 21 item 2: errors are classified once (ERROR_TABLE: retryable or not, halts or not); errors
 * retrying cannot fix are not retried (a closed port, an HTML answer, a 404 from batch endpoints); the
 * first call that fails for good halts its black box: queued calls, calls waiting to retry and calls
 * under way reject at once (HaltedError), nothing more is sent; the caller's signal ends retry waits.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { noBatchEndpoints } from "../../src/blackbox/batch/api-call.js";
import { createBlackBox, createFunctionBlackBox } from "../../src/blackbox/client.js";
import {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  BlackBoxError,
  ConnectionError,
  classify,
  ERROR_TABLE,
  HaltedError,
  isTransient,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "../../src/blackbox/errors.js";
import { TransientError } from "../../src/blackbox/providers/function.js";
import type { BlackBox } from "../../src/blackbox/types.js";

const boxes: BlackBox[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(boxes.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const withCode = (code: string) =>
  new ConnectionError("connection failed", { cause: Object.assign(new Error("x"), { code }) });
const syntax = (text: string) => {
  try {
    JSON.parse(text);
  } catch (e) {
    return e;
  }
  throw new Error("parsed");
};

describe("the error table", () => {
  it.each([
    [new AuthenticationError("401", { status: 401 }), "refused-key", false, true],
    [new BadRequestError("400", { status: 400 }), "bad-request", false, false],
    [new BadRequestError("422", { status: 422 }), "bad-request", false, false],
    [new BadRequestError("404", { status: 404 }), "not-found", false, true],
    [new RateLimitError("429"), "rate-limited", true, true],
    [new ServerError("503", { status: 503 }), "server-error", true, true],
    [new TimeoutError("slow"), "timeout", true, true],
    [withCode("ECONNREFUSED"), "connection-refused", false, true],
    [withCode("ENOTFOUND"), "host-not-found", false, true],
    [withCode("ECONNRESET"), "connection-lost", true, true],
    [withCode("EAI_AGAIN"), "connection-lost", true, true],
    [new ConnectionError("terminated"), "connection-lost", true, true],
    [
      new BadResponseError("html", { cause: syntax("<html><body>hi</body></html>") }),
      "not-json",
      false,
      true,
    ],
    [new BadResponseError("text", { cause: syntax("Not Found") }), "not-json", false, true],
    [new BadResponseError("cut short", { cause: syntax('{"choices": [{"mess') }), "bad-body", true, true],
    [new BadResponseError("no choices"), "bad-body", true, true],
    [new TransientError("busy"), "transient", true, true],
    [new TypeError("returned 42"), "other", false, true],
    [new BlackBoxError("plain"), "other", false, true],
  ])("%s -> %s (retry %s, halts %s)", (err, kind, retry, halts) => {
    expect(classify(err)).toBe(kind);
    expect(ERROR_TABLE[classify(err)]).toEqual({ retry, halts });
    expect(isTransient(err)).toBe(retry);
  });
});

/** A loopback HTTP server answering every request with `status`, `type` and `body`; counts requests. */
async function serve(
  status: number,
  type: string,
  body: string,
): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { "content-type": type });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, hits: () => hits };
}

const fast = { cache: false as const, env: {}, maxRetries: 6, retryInitialDelayMs: 1, retryMaxDelayMs: 2 };

describe("errors retrying cannot fix are sent once", () => {
  it("a closed port: one attempt, a ConnectionError", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const bb = createBlackBox("openai:m", { ...fast, baseURL: `http://127.0.0.1:${port}/v1` });
    boxes.push(bb);
    const err = await bb.complete({ prompt: "p" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(classify(err)).toBe("connection-refused");
    expect(bb.totals().requests).toBe(1);
    expect(bb.totals().retries).toBe(0);
  });

  it("an HTML page: one request, says the answer is not JSON", async () => {
    const s = await serve(200, "text/html", "<html><body>welcome</body></html>");
    const bb = createBlackBox("openai:m", { ...fast, baseURL: s.url });
    boxes.push(bb);
    const err = await bb.complete({ prompt: "p" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadResponseError);
    expect(classify(err)).toBe("not-json");
    expect(s.hits()).toBe(1);
  });

  it("a 404: one request", async () => {
    const s = await serve(404, "application/json", JSON.stringify({ error: { message: "no such route" } }));
    const bb = createBlackBox("openai:m", { ...fast, baseURL: s.url });
    boxes.push(bb);
    await expect(bb.complete({ prompt: "p" })).rejects.toBeInstanceOf(BadRequestError);
    expect(s.hits()).toBe(1);
  });

  it("a 404 from batch endpoints says the server has none, not that the model is wrong", () => {
    const e = noBatchEndpoints(
      { id: "openai:m" },
      "upload",
      new BadRequestError('openai rejected the request for model "m" (HTTP 404): not found', { status: 404 }),
    );
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e?.message).toMatch(
      /server has no batch endpoints \(HTTP 404 on batch upload\).*without --batch-api/,
    );
    expect(noBatchEndpoints({ id: "x" }, "upload", new ServerError("500", { status: 500 }))).toBeUndefined();
  });
});

describe("the first call that fails for good halts the black box", () => {
  it("queued calls and a call under way reject at once; nothing more is sent", async () => {
    const seen: string[] = [];
    const bb = createFunctionBlackBox(
      ({ input, signal }) => {
        seen.push(input);
        if (input === "bad") return Promise.reject(new Error("module exploded"));
        // hangs until stopped (a module that never answers)
        return new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      },
      { concurrency: 2, timeoutMs: 600_000, maxRetries: 6, cache: false },
    );
    boxes.push(bb);
    const calls = ["slow", "bad", "q1", "q2", "q3"].map((input) =>
      bb.complete({ prompt: input, parts: { instruction: "i", input } }).catch((e: unknown) => e),
    );
    const errors = await Promise.all(calls);
    expect((errors[1] as Error).message).toMatch(/module exploded/);
    for (const i of [0, 2, 3, 4]) {
      expect(errors[i]).toBeInstanceOf(HaltedError);
      expect((errors[i] as HaltedError).first).toBe(errors[1]);
      expect((errors[i] as Error).message).toMatch(
        /stopped: an earlier request failed for good.*module exploded/,
      );
    }
    // only the two that had slots were ever sent
    expect(seen.sort()).toEqual(["bad", "slow"]);
    // a later call is refused unsent too
    await expect(
      bb.complete({ prompt: "later", parts: { instruction: "i", input: "later" } }),
    ).rejects.toBeInstanceOf(HaltedError);
    expect(seen).toHaveLength(2);
  });

  it("a bad request (400) is the request's own: the black box goes on", async () => {
    const bb = createFunctionBlackBox(
      ({ input }) => {
        if (input === "bad") return Promise.reject(new BadRequestError("too long", { status: 400 }));
        return Promise.resolve(`ok ${input}`);
      },
      { cache: false },
    );
    boxes.push(bb);
    await expect(
      bb.complete({ prompt: "bad", parts: { instruction: "i", input: "bad" } }),
    ).rejects.toBeInstanceOf(BadRequestError);
    expect((await bb.complete({ prompt: "x", parts: { instruction: "i", input: "x" } })).text).toBe("ok x");
  });

  it("the caller's signal (the run's stop) ends a wait to retry", async () => {
    let sent = 0;
    const bb = createFunctionBlackBox(
      () => {
        sent++;
        return Promise.reject(new TransientError("busy", { retryAfterMs: 600_000 }));
      },
      { cache: false, maxRetries: 6, retryMaxDelayMs: 600_000 },
    );
    boxes.push(bb);
    const stop = new AbortController();
    const call = bb.complete(
      { prompt: "p", parts: { instruction: "i", input: "p" } },
      { signal: stop.signal },
    );
    while (sent === 0) await new Promise((r) => setImmediate(r));
    stop.abort(new Error("run stopped"));
    await expect(call).rejects.toThrow(/run stopped/);
    expect(sent).toBe(1);
  });
});

describe("messages name a module black box by its file", () => {
  it("a timeout names the label, not function:module-<hash>", async () => {
    const bb = createFunctionBlackBox(
      ({ signal }) =>
        new Promise((_r, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      {
        id: "module-0123456789abcdef",
        label: "black-box module /x/pipeline.mjs",
        timeoutMs: 20,
        maxRetries: 0,
        cache: false,
      },
    );
    boxes.push(bb);
    const err = await bb
      .complete({ prompt: "p", parts: { instruction: "i", input: "p" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/^black-box module \/x\/pipeline\.mjs: no response within 20 ms/);
    expect((err as Error).message).not.toMatch(/module-0123/);
  });
});

describe("--batch-api against a server without batch endpoints", () => {
  it("fails once, saying the server has no batch endpoints, not that the model is wrong", async () => {
    const s = await serve(404, "application/json", JSON.stringify({ error: { message: "Not Found" } }));
    const { createBatchBlackBox } = await import("../../src/blackbox/batch/batch-black-box.js");
    const bb = createBatchBlackBox("openai:m", { ...fast, baseURL: s.url, batchPollMs: 10 });
    boxes.push(bb);
    const errors = await Promise.all(
      ["a", "b", "c"].map((p) => bb.complete({ prompt: p }).catch((e: unknown) => e as Error)),
    );
    for (const e of errors)
      expect((e as Error).message).toMatch(/server has no batch endpoints \(HTTP 404 on batch/);
    expect(s.hits()).toBe(1);
  });
});
