import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  ConnectionError,
  isTransient,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "../../src/blackbox/errors.js";
import {
  type ErrorContext,
  errorForStatus,
  mapThrown,
  redact,
} from "../../src/blackbox/providers/map-error.js";

const ctx: ErrorContext = {
  provider: "openai",
  model: "gpt-x",
  keyHint: "OPENAI_API_KEY",
  secrets: ["sk-live-abcdef"],
};

describe("errorForStatus", () => {
  it("maps statuses to the typed hierarchy", () => {
    const cases: Array<[number, new (...a: never[]) => Error, boolean]> = [
      [400, BadRequestError, false],
      [401, AuthenticationError, false],
      [403, AuthenticationError, false],
      [404, BadRequestError, false],
      [408, ServerError, true],
      [409, ServerError, true],
      [422, BadRequestError, false],
      [429, RateLimitError, true],
      [500, ServerError, true],
      [502, ServerError, true],
      [503, ServerError, true],
      [529, ServerError, true],
    ];
    for (const [status, cls, transient] of cases) {
      const err = errorForStatus(status, "msg", undefined, ctx);
      expect(err, String(status)).toBeInstanceOf(cls);
      expect(isTransient(err), String(status)).toBe(transient);
    }
  });

  it("reads Retry-After into a RateLimitError", () => {
    const err = errorForStatus(429, "slow", new Headers({ "retry-after": "3" }), ctx) as RateLimitError;
    expect(err.retryAfterMs).toBe(3000);
  });

  it("names the model in bad-request messages and the key's source in auth messages, never the key", () => {
    expect(errorForStatus(404, "The model `gpt-x` does not exist", undefined, ctx).message).toMatch(
      /model "gpt-x".*404.*does not exist/,
    );
    const auth = errorForStatus(401, "Incorrect API key provided: sk-live-abcdef", undefined, ctx).message;
    expect(auth).toMatch(/OPENAI_API_KEY/);
    expect(auth).not.toContain("sk-live-abcdef");
  });
});

describe("redact", () => {
  it("removes the given secrets and key-shaped tokens", () => {
    expect(redact("key sk-live-abcdef here", ["sk-live-abcdef"])).toBe("key [redacted] here");
    expect(redact("got sk-ant-api03-XYZxyz123 and sk-proj-abc*****wxyz", [])).not.toMatch(/XYZxyz|wxyz/);
    expect(redact("plain text", [undefined])).toBe("plain text");
  });
});

describe("mapThrown", () => {
  const signal = new AbortController().signal;

  it("maps SDK connection, timeout and parse failures", () => {
    expect(mapThrown(new OpenAI.APIConnectionTimeoutError(), ctx, signal, OpenAI)).toBeInstanceOf(
      TimeoutError,
    );
    expect(mapThrown(new OpenAI.APIConnectionError({ message: "x" }), ctx, signal, OpenAI)).toBeInstanceOf(
      ConnectionError,
    );
    expect(mapThrown(new SyntaxError("Unexpected end"), ctx, signal, OpenAI)).toBeInstanceOf(
      BadResponseError,
    );
    expect(mapThrown(new TypeError("terminated"), ctx, signal, OpenAI)).toBeInstanceOf(ConnectionError);
  });

  it("reports our own abort reason when our signal fired", () => {
    const c = new AbortController();
    const reason = new TimeoutError("no response within 5 ms");
    c.abort(reason);
    expect(mapThrown(new OpenAI.APIUserAbortError(), ctx, c.signal, OpenAI)).toBe(reason);
  });
});
