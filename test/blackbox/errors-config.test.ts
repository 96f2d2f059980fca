/**
 * Configuration errors, URL credentials and refused keys, against the real local fake server:
 * a bad base URL fails at once (no request, no retry), credentials never reach a message, and after
 * a 401/403 no queued request is sent.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import {
  AuthenticationError,
  BadRequestError,
  BlackBoxError,
  isTransient,
  ServerError,
} from "../../src/blackbox/errors.js";
import type { BlackBoxOptions } from "../../src/blackbox/options.js";
import { checkBaseURL, type ErrorContext, mapThrown } from "../../src/blackbox/providers/map-error.js";
import type { BlackBox } from "../../src/blackbox/types.js";
import { parseRunOptions } from "../../src/config/parse.js";
import { RunOptionsSchema } from "../../src/config/schema.js";
import { UserError } from "../../src/util/errors.js";
import { redactUrl } from "../../src/util/redact.js";

const servers: FakeOpenAI[] = [];
const boxes: BlackBox[] = [];
afterEach(async () => {
  await Promise.all(boxes.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const s = await startFakeOpenAI(options);
  servers.push(s);
  return s;
}

function box(modelId: string, options: BlackBoxOptions = {}): BlackBox {
  const b = createBlackBox(modelId, {
    cache: false,
    env: {},
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
  boxes.push(b);
  return b;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The error `fn` throws (synchronously or not), or a failure when it throws nothing. */
async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error, got none");
}

const BAD_URLS: Array<[string, RegExp]> = [
  ["notaurl", /is not a valid URL/],
  ["http//x", /is not a valid URL.*did you mean "http:\/\/x"/],
  ["127.0.0.1:8080", /is not a valid URL.*did you mean "http:\/\/127\.0\.0\.1:8080"/],
  ["localhost:8000", /unsupported scheme "localhost:".*did you mean "http:\/\/localhost:8000"/],
  ["ftp://example.com/v1", /unsupported scheme "ftp:"; only http:\/\/ and https:\/\//],
  ["file:///tmp/models", /unsupported scheme "file:"/],
];

describe("a malformed or unsupported base URL fails at once", () => {
  it.each(BAD_URLS)(
    "openai baseURL option %s: UserError naming the option and the value",
    async (url, why) => {
      const s = await server();
      const t0 = performance.now();
      const err = await caught(() => box("openai:gpt-4o-mini", { baseURL: url }));
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toContain(`"${url}"`);
      expect(err.message).toContain("baseURL option (--base-url)");
      expect(err.message).toMatch(why);
      expect(performance.now() - t0).toBeLessThan(500);
      expect(s.stats().requests).toBe(0);
    },
  );

  it.each(BAD_URLS)(
    "OPENAI_BASE_URL / ANTHROPIC_BASE_URL=%s: UserError naming the variable",
    async (url, why) => {
      const openai = await caught(() => box("openai:gpt-4o-mini", { env: { OPENAI_BASE_URL: url } }));
      expect(openai).toBeInstanceOf(UserError);
      expect(openai.message).toContain("OPENAI_BASE_URL");
      expect(openai.message).toContain(`"${url}"`);
      expect(openai.message).toMatch(why);
      const anthropic = await caught(() =>
        box("anthropic:claude-3-5-haiku-latest", {
          env: { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: "x-key" },
        }),
      );
      expect(anthropic).toBeInstanceOf(UserError);
      expect(anthropic.message).toContain("ANTHROPIC_BASE_URL");
      expect(anthropic.message).toMatch(why);
    },
  );

  it("the option wins over the environment, and a good URL passes", async () => {
    const s = await server();
    const bb = box("openai:gpt-4o-mini", { baseURL: s.url, env: { OPENAI_BASE_URL: "notaurl" } });
    await expect(
      bb.complete({ prompt: "Instruction: antonym\n\nInput: hot\n\nOutput:" }),
    ).resolves.toMatchObject({
      text: "cold",
    });
    expect(checkBaseURL(" http://127.0.0.1:8000/v1// ", "x")).toBe("http://127.0.0.1:8000/v1");
  });

  it("a URL fetch itself refuses is a non-transient error, never retried (SDK error mapped)", async () => {
    // What the SDK throws when handed a malformed URL: mapped to BadRequestError, not ConnectionError.
    const client = new OpenAI({ apiKey: "k", baseURL: "notaurl", maxRetries: 0 });
    const ctx: ErrorContext = { provider: "openai", model: "m", keyHint: "OPENAI_API_KEY", secrets: [] };
    const signal = new AbortController().signal;
    const raw = await caught(() => client.chat.completions.create({ model: "m", messages: [] }));
    const mapped = mapThrown(raw, ctx, signal, OpenAI);
    expect(mapped).toBeInstanceOf(BadRequestError);
    expect(isTransient(mapped)).toBe(false);
    const withCreds = new OpenAI({ apiKey: "k", baseURL: "http://u:hunter2@127.0.0.1:1/v1", maxRetries: 0 });
    const raw2 = await caught(() => withCreds.chat.completions.create({ model: "m", messages: [] }));
    const mapped2 = mapThrown(raw2, ctx, signal, OpenAI);
    expect(mapped2).toBeInstanceOf(BadRequestError);
    expect(inspect(mapped2)).not.toContain("hunter2");
  });
});

describe("the run options accept only http(s) URLs", () => {
  it.each(["baseUrl", "vllmUrl"])("%s: http/https only, no credentials, the message says so", (field) => {
    for (const ok of ["http://127.0.0.1:8000/v1", "https://api.example.com/v1"]) {
      expect(RunOptionsSchema.safeParse({ task: "t", [field]: ok }).success).toBe(true);
    }
    for (const bad of ["notaurl", "http//x", "127.0.0.1:8080", "ftp://example.com", "file:///tmp/x"]) {
      const err = (() => {
        try {
          parseRunOptions({ task: "t", [field]: bad });
        } catch (e) {
          return e as Error;
        }
        throw new Error(`${bad} accepted`);
      })();
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toContain(`field "${field}"`);
      expect(err.message).toContain("must be an http:// or https:// URL");
    }
    const creds = RunOptionsSchema.safeParse({ task: "t", [field]: "http://u:hunter2@127.0.0.1:8000/v1" });
    expect(creds.success).toBe(false);
    expect(JSON.stringify(creds.error?.issues)).toMatch(/must not contain credentials/);
    expect(() => parseRunOptions({ task: "t", [field]: "http://u:hunter2@h/v1" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });
});

describe("redactUrl", () => {
  it("removes user:password@ and user@ anywhere in a string", () => {
    expect(redactUrl("see https://alice:s3cr3t@example.com/v1 now")).toBe(
      "see https://***@example.com/v1 now",
    );
    expect(redactUrl("http://alice@h:8000/x")).toBe("http://***@h:8000/x");
    expect(redactUrl('{"url":"http://u:p@ss@h/v1"}')).toBe('{"url":"http://***@h/v1"}');
    expect(redactUrl("a postgres://u:pw@db/x and http://v:w@h/y")).toBe(
      "a postgres://***@db/x and http://***@h/y",
    );
    expect(redactUrl("mail bob@example.com at http://h/x")).toBe("mail bob@example.com at http://h/x");
  });

  it("removes the values of key/api_key/token/access_token/sig query parameters", () => {
    expect(redactUrl("GET https://h/v1?key=abc123&model=m&api_key=zz")).toBe(
      "GET https://h/v1?key=***&model=m&api_key=***",
    );
    expect(redactUrl("https://h/x?sig=AbC%2F&token=t0k&access_token=a.b.c#frag")).toBe(
      "https://h/x?sig=***&token=***&access_token=***#frag",
    );
    expect(redactUrl("https://h/x?monkey=1&keys=2")).toBe("https://h/x?monkey=1&keys=2");
  });

  it("is idempotent and leaves plain text alone", () => {
    const once = redactUrl("http://u:p@h/?token=x");
    expect(redactUrl(once)).toBe(once);
    expect(redactUrl("no url here: a@b")).toBe("no url here: a@b");
    expect(redactUrl("")).toBe("");
  });
});

describe("credentials in URLs appear in no error message", () => {
  const PASSWORD = "hunter2-very-secret";

  function expectClean(err: Error): void {
    expect(err.message).not.toContain(PASSWORD);
    expect(String(err.stack)).not.toContain(PASSWORD);
    expect(inspect(err, { depth: 10 })).not.toContain(PASSWORD);
  }

  it("a base URL with user:password at a closed port: UserError at once, password removed", async () => {
    const port = await closedPort();
    const url = `http://admin:${PASSWORD}@127.0.0.1:${port}/v1`;
    const err = await caught(() => box("openai:gpt-4o-mini", { baseURL: url, maxRetries: 3 }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(`"http://***@127.0.0.1:${port}/v1"`);
    expect(err.message).toMatch(/contains credentials/);
    expectClean(err);
    const env = await caught(() =>
      box("anthropic:claude-3-5-haiku-latest", { env: { ANTHROPIC_BASE_URL: url } }),
    );
    expect(env).toBeInstanceOf(UserError);
    expectClean(env);
  });

  it("a base URL with user:password at the fake server: no request, password removed", async () => {
    const s = await server({ faults: { 1: "500" } });
    const url = s.url.replace("http://", `http://admin:${PASSWORD}@`);
    const err = await caught(() => box("openai:gpt-4o-mini", { baseURL: url }));
    expect(err).toBeInstanceOf(UserError);
    expectClean(err);
    expect(s.stats().requests).toBe(0);
  });

  it("a 500 whose body repeats a credentialed URL and a key parameter: scrubbed after the retries", async () => {
    const s = await server({
      answer: () => {
        throw new Error(`upstream http://proxy:${PASSWORD}@10.0.0.5:8080/v1?api_key=${PASSWORD} failed`);
      },
    });
    const events: string[] = [];
    const bb = box("openai:gpt-4o-mini", {
      baseURL: s.url,
      maxRetries: 2,
      onEvent: (e) => {
        if (e.type === "retry") events.push(e.error);
      },
    });
    const err = await caught(() => bb.complete({ prompt: "hello" }));
    expect(err).toBeInstanceOf(ServerError);
    expect(err.message).toContain("upstream http://***@10.0.0.5:8080/v1?api_key=*** failed");
    expect(err.message).toMatch(/gave up after 3 attempts/);
    expectClean(err);
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).not.toContain(PASSWORD);
    expect(s.stats().requests).toBe(3);
  });

  it("a connection failure with a key in the URL query: message and causes scrubbed", async () => {
    const port = await closedPort();
    const bb = box("openai:gpt-4o-mini", {
      baseURL: `http://127.0.0.1:${port}/v1?key=${PASSWORD}`,
      maxRetries: 1,
    });
    const err = await caught(() => bb.complete({ prompt: "hello" }));
    expect(err).toBeInstanceOf(BlackBoxError);
    expect(err.name).toBe("ConnectionError");
    expectClean(err);
  });
});

describe("after a 401/403 no queued request is sent", () => {
  it("concurrency 2, 14 calls, the server answers 401: at most 2 requests, 14 AuthenticationErrors", async () => {
    const s = await server({ apiKey: "sk-right-key-000000", latencyMs: 30 });
    const bb = box("openai:gpt-4o-mini", {
      baseURL: s.url,
      apiKey: "sk-wrong-key-1111111",
      concurrency: 2,
      maxRetries: 6,
    });
    const t0 = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 14 }, (_, i) => bb.complete({ prompt: `question ${i}` })),
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s.stats().requests).toBeLessThanOrEqual(2);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    const errors = results.map((r) => (r as PromiseRejectedResult).reason as Error);
    for (const e of errors) {
      expect(e).toBeInstanceOf(AuthenticationError);
      expect(e.message).toMatch(/OPENAI_API_KEY/);
      expect(e.message).not.toContain("sk-wrong-key-1111111");
    }
    expect(errors.filter((e) => /request not sent/.test(e.message)).length).toBeGreaterThanOrEqual(12);
    expect(bb.totals().requests).toBe(s.stats().requests);

    // later calls too: rejected at once, nothing sent
    const later = await caught(() => bb.complete({ prompt: "one more" }));
    expect(later).toBeInstanceOf(AuthenticationError);
    expect(later.message).toMatch(/request not sent: an earlier request was refused/);
    expect(s.stats().requests).toBeLessThanOrEqual(2);
  });

  it("a call waiting to retry a 500 is not retried once another call got a 401", async () => {
    const s = await server({ faults: { 1: "500", 2: "401" } });
    let release: () => void = () => {};
    const refused = new Promise<void>((resolve) => {
      release = resolve;
    });
    const bb = box("openai:gpt-4o-mini", {
      baseURL: s.url,
      concurrency: 2,
      maxRetries: 6,
      sleep: () => refused, // the retry waits until the 401 has been seen
    });
    const a = bb.complete({ prompt: "first" }).catch((e: unknown) => e);
    const b = bb.complete({ prompt: "second" }).catch((e: unknown) => e);
    // One call got the 401 and settles; the other got the 500 and sleeps before its retry.
    const first = await Promise.race([a, b]);
    expect(first).toBeInstanceOf(AuthenticationError);
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toBeInstanceOf(AuthenticationError);
    expect(rb).toBeInstanceOf(AuthenticationError);
    expect(s.stats().requests).toBe(2);
  });

  it("403 (PermissionDeniedError) counts as a refused key", async () => {
    const ctx: ErrorContext = { provider: "openai", model: "m", keyHint: "OPENAI_API_KEY", secrets: [] };
    const e403 = new OpenAI.PermissionDeniedError(
      403,
      { message: "not allowed" },
      "not allowed",
      new Headers(),
    );
    const mapped = mapThrown(e403, ctx, new AbortController().signal, OpenAI);
    expect(mapped).toBeInstanceOf(AuthenticationError);
    expect(mapped.status).toBe(403);
    expect(mapped.message).toMatch(/permission denied.*OPENAI_API_KEY/);
  });
});
