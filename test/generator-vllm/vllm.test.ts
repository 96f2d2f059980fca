import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { completionsUrl, createVllmEmbedsClient, VllmError } from "../../src/generator/vllm.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { readBody, startHttpServer, type TestServer } from "../helpers/http-server.js";
import { torchLoad } from "../helpers/torch-load.js";

interface Seen {
  url: string;
  auth?: string;
  body: Record<string, unknown>;
  tensor: ReturnType<typeof torchLoad>;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function embeds(seq: number, hidden: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: seq * hidden }, () => rng.normal());
}

async function decode(req: IncomingMessage): Promise<Seen> {
  const body = JSON.parse((await readBody(req)).toString("utf8")) as Record<string, unknown>;
  const tensor = torchLoad(Buffer.from(String(body.prompt_embeds), "base64"));
  return { url: req.url ?? "", auth: req.headers.authorization, body, tensor };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

describe("createVllmEmbedsClient", () => {
  it("posts the embeddings as a torch.save tensor and returns choices[0].text", async () => {
    const seen: Seen[] = [];
    server = await startHttpServer(async (req, res) => {
      const s = await decode(req);
      seen.push(s);
      json(res, 200, {
        choices: [{ index: 0, text: " Translate the word into French.", finish_reason: "stop" }],
      });
    });
    const client = createVllmEmbedsClient({
      baseURL: server.url,
      model: "Qwen/Qwen2.5-0.5B-Instruct",
      apiKey: "k-123",
    });
    const e = embeds(9, 16, 1);
    const out = await client.complete(e, 9, 16, { maxTokens: 64, stop: ["\n\n"] });
    expect(out).toBe(" Translate the word into French.");
    expect(seen).toHaveLength(1);
    const s = seen[0];
    expect(s.url).toBe("/v1/completions");
    expect(s.auth).toBe("Bearer k-123");
    expect(s.body).toMatchObject({
      model: "Qwen/Qwen2.5-0.5B-Instruct",
      max_tokens: 64,
      temperature: 0,
      stop: ["\n\n"],
    });
    expect(s.body).not.toHaveProperty("prompt");
    expect(s.tensor.dtype).toBe("float32");
    expect(s.tensor.shape).toEqual([9, 16]);
    expect(Array.from(s.tensor.data)).toEqual(Array.from(e));
  });

  it("accepts a base URL ending in /v1 and sends no stop or auth when not given", async () => {
    const seen: Seen[] = [];
    server = await startHttpServer(async (req, res) => {
      seen.push(await decode(req));
      json(res, 200, { choices: [{ text: "ok" }] });
    });
    const client = createVllmEmbedsClient({ baseURL: `${server.url}/v1/`, model: "m" });
    expect(await client.complete(embeds(2, 3, 2), 2, 3, { maxTokens: 5 })).toBe("ok");
    expect(seen[0].url).toBe("/v1/completions");
    expect(seen[0].auth).toBeUndefined();
    expect(seen[0].body).not.toHaveProperty("stop");
  });

  it("sends float16 when asked", async () => {
    const seen: Seen[] = [];
    server = await startHttpServer(async (req, res) => {
      seen.push(await decode(req));
      json(res, 200, { choices: [{ text: "x" }] });
    });
    const client = createVllmEmbedsClient({ baseURL: server.url, model: "m", dtype: "float16" });
    const e = embeds(4, 8, 3);
    await client.complete(e, 4, 8, { maxTokens: 1 });
    expect(seen[0].tensor.dtype).toBe("float16");
    for (let i = 0; i < e.length; i++) expect(seen[0].tensor.data[i]).toBeCloseTo(e[i], 2);
  });

  it("runs requests concurrently up to the limit and maps each answer to its prompt", async () => {
    const total = 5;
    let received = 0;
    let active = 0;
    let maxActive = 0;
    let pending: Array<() => void> = [];
    server = await startHttpServer(async (req, res) => {
      const s = await decode(req);
      received++;
      active++;
      maxActive = Math.max(maxActive, active);
      pending.push(() => {
        active--;
        json(res, 200, { choices: [{ text: `first=${s.tensor.data[0]}` }] });
      });
      // Hold answers until two requests are in flight: a client that serialised requests would hang.
      if (pending.length === 2 || received === total) {
        const flush = pending;
        pending = [];
        for (const f of flush) f();
      }
    });
    const client = createVllmEmbedsClient({ baseURL: server.url, model: "m", concurrency: 2 });
    const prompts = Array.from({ length: total }, (_, i) => embeds(3, 4, 10 + i));
    const outs = await Promise.all(prompts.map((p) => client.complete(p, 3, 4, { maxTokens: 8 })));
    expect(outs).toEqual(prompts.map((p) => `first=${p[0]}`));
    expect(maxActive).toBe(2);
  });

  it("explains a server without --enable-prompt-embeds (HTTP 400)", async () => {
    server = await startHttpServer((_req, res) =>
      json(res, 400, {
        object: "error",
        message: "You must set `--enable-prompt-embeds` to input `prompt_embeds`.",
        type: "BadRequestError",
        code: 400,
      }),
    );
    const client = createVllmEmbedsClient({ baseURL: server.url, model: "m", retryDelayMs: 0 });
    const err = await client.complete(embeds(1, 2, 4), 1, 2, { maxTokens: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VllmError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as VllmError).status).toBe(400);
    expect((err as Error).message).toMatch(/HTTP 400: You must set `--enable-prompt-embeds`/);
    expect((err as Error).message).toMatch(/start vLLM with --enable-prompt-embeds/);
  });

  it("explains a hidden-size mismatch", async () => {
    server = await startHttpServer((_req, res) =>
      json(res, 400, {
        error: {
          message: "`prompt_embeds` hidden_size 16 does not match the model's hidden_size 896.",
          type: "BadRequestError",
          code: 400,
        },
      }),
    );
    const client = createVllmEmbedsClient({ baseURL: server.url, model: "m" });
    await expect(client.complete(embeds(1, 16, 4), 1, 16, { maxTokens: 3 })).rejects.toThrow(
      /HTTP 400: `prompt_embeds` hidden_size 16 does not match the model's hidden_size 896\. \(the embeddings were computed with a different model/,
    );
  });

  it("names the model on 404 and the key on 401, without retrying", async () => {
    let calls = 0;
    server = await startHttpServer((req, res) => {
      calls++;
      if (req.headers.authorization) json(res, 401, { error: { message: "Unauthorized" } });
      else json(res, 404, { object: "error", message: "The model `nope` does not exist.", code: 404 });
    });
    const c404 = createVllmEmbedsClient({ baseURL: server.url, model: "nope", retryDelayMs: 0 });
    await expect(c404.complete(embeds(1, 2, 5), 1, 2, { maxTokens: 3 })).rejects.toThrow(
      /HTTP 404: The model `nope` does not exist\. \(is the model served under the name "nope"\?/,
    );
    const c401 = createVllmEmbedsClient({ baseURL: server.url, model: "m", apiKey: "bad", retryDelayMs: 0 });
    await expect(c401.complete(embeds(1, 2, 5), 1, 2, { maxTokens: 3 })).rejects.toThrow(
      /HTTP 401: Unauthorized \(check the API key/,
    );
    expect(calls).toBe(2);
  });

  it("retries 5xx answers, then reports the last one", async () => {
    let calls = 0;
    server = await startHttpServer((_req, res) => {
      calls++;
      if (calls === 1) json(res, 503, { message: "busy" });
      else if (calls === 2) json(res, 200, { choices: [{ text: "after retry" }] });
      else json(res, 500, { message: "engine dead" });
    });
    const client = createVllmEmbedsClient({ baseURL: server.url, model: "m", retries: 2, retryDelayMs: 0 });
    expect(await client.complete(embeds(1, 2, 6), 1, 2, { maxTokens: 3 })).toBe("after retry");
    calls = 2;
    await expect(client.complete(embeds(1, 2, 6), 1, 2, { maxTokens: 3 })).rejects.toThrow(
      /HTTP 500: engine dead/,
    );
    expect(calls).toBe(5);
  });

  it("reports a response without choices", async () => {
    server = await startHttpServer((_req, res) => json(res, 200, { id: "x", choices: [] }));
    const client = createVllmEmbedsClient({ baseURL: server.url, model: "m" });
    await expect(client.complete(embeds(1, 2, 7), 1, 2, { maxTokens: 3 })).rejects.toThrow(
      /returned no choices\[0\]\.text/,
    );
  });

  it("reports an unreachable server and a timeout", async () => {
    const s = await startHttpServer(() => {});
    const url = s.url;
    await s.close();
    const down = createVllmEmbedsClient({ baseURL: url, model: "m", retries: 1, retryDelayMs: 0 });
    await expect(down.complete(embeds(1, 2, 8), 1, 2, { maxTokens: 3 })).rejects.toThrow(
      /cannot reach the vLLM server at http:\/\/127\.0\.0\.1:\d+\/v1\/completions \(ECONNREFUSED\)/,
    );
    server = await startHttpServer(() => {}); // never answers
    const slow = createVllmEmbedsClient({ baseURL: server.url, model: "m", timeoutMs: 100, retries: 0 });
    await expect(slow.complete(embeds(1, 2, 8), 1, 2, { maxTokens: 3 })).rejects.toThrow(
      /timed out after 100 ms/,
    );
  });

  it("rejects bad shapes and options", async () => {
    const client = createVllmEmbedsClient({ baseURL: "http://127.0.0.1:9", model: "m" });
    await expect(client.complete(new Float32Array(5), 2, 3, { maxTokens: 3 })).rejects.toThrow(
      /5 values for shape \(2, 3\)/,
    );
    await expect(client.complete(new Float32Array(6), 2, 3, { maxTokens: 0 })).rejects.toThrow(/maxTokens/);
    expect(() => createVllmEmbedsClient({ baseURL: "localhost:8000", model: "m" })).toThrow(UserError);
    expect(() => createVllmEmbedsClient({ baseURL: "http://x", model: "m", concurrency: 0 })).toThrow(
      /concurrency must be a positive integer, got 0/,
    );
    expect(completionsUrl("http://h:8000/v1")).toBe("http://h:8000/v1/completions");
    expect(completionsUrl("https://h/api/")).toBe("https://h/api/v1/completions");
  });
});
