/** The fake server itself: answerer, faults and bookkeeping (it is reused by other areas' tests). */
import { afterEach, describe, expect, it } from "vitest";
import {
  FAKE_WRONG_ANSWER,
  type FakeOpenAI,
  instructionSensitiveAnswer,
  parseInstructionPrompt,
  startFakeOpenAI,
} from "../../fixtures/fake-openai.js";

const req = (prompt: string) => ({ n: 1, api: "openai" as const, model: "m", prompt, body: {} });

describe("instructionSensitiveAnswer", () => {
  it("parses both reference templates", () => {
    expect(parseInstructionPrompt("Instruction: flip it\n\nInput: hot\n Output:")).toEqual({
      instruction: "flip it",
      input: "hot",
    });
    expect(parseInstructionPrompt("Instruction: flip it\n\nInput: two words\n\nOUTPUT: ")).toEqual({
      instruction: "flip it",
      input: "two words",
    });
    expect(parseInstructionPrompt("no structure here")).toBeUndefined();
  });

  it("answers antonyms, echoes for repeat, and is wrong otherwise", () => {
    expect(instructionSensitiveAnswer(req("Instruction: Write the antonym.\n\nInput: good\n\nOutput:"))).toBe(
      "bad",
    );
    expect(instructionSensitiveAnswer(req("Instruction: the OPPOSITE word\n\nInput: Cold\n\nOutput:"))).toBe(
      "hot",
    );
    expect(instructionSensitiveAnswer(req("Instruction: antonym\n\nInput: zebra\n\nOutput:"))).toBe(
      "not zebra",
    );
    expect(instructionSensitiveAnswer(req("Instruction: repeat the input\n\nInput: zebra\n\nOutput:"))).toBe(
      "zebra",
    );
    expect(instructionSensitiveAnswer(req("Instruction: translate\n\nInput: good\n\nOutput:"))).toBe(
      FAKE_WRONG_ANSWER,
    );
  });
});

describe("startFakeOpenAI", () => {
  let s: FakeOpenAI | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const chat = (prompt: string) => ({ model: "m", messages: [{ role: "user", content: prompt }] });

  it("speaks the chat-completions format and logs requests", async () => {
    s = await startFakeOpenAI({ answer: (r) => `echo ${r.prompt}` });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await post(s.url, chat("hello"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      id: string;
      choices: Array<{ message: { content: string } }>;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(body.choices[0].message.content).toBe("echo hello");
    expect(body.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3 });
    expect(s.requests[0]).toMatchObject({ n: 1, prompt: "hello", status: 200, model: "m" });
    expect(s.stats()).toMatchObject({ requests: 1, completions: 1, faults: 0, inFlight: 0, maxInFlight: 1 });
  });

  it("injects scripted faults by request number", async () => {
    s = await startFakeOpenAI({
      faults: { 1: "429", 2: "503", 3: "malformed", 4: "no-choices" },
      retryAfter: "7",
    });
    const r1 = await post(s.url, chat("a"));
    expect(r1.status).toBe(429);
    expect(r1.headers.get("retry-after")).toBe("7");
    expect((await post(s.url, chat("a"))).status).toBe(503);
    const r3 = await post(s.url, chat("a"));
    expect(r3.status).toBe(200);
    await expect(r3.json()).rejects.toThrow();
    const r4 = (await (await post(s.url, chat("a"))).json()) as { choices: unknown[] };
    expect(r4.choices).toEqual([]);
    expect((await post(s.url, chat("a"))).status).toBe(200);
    expect(s.requests.map((r) => r.fault ?? "-")).toEqual(["429", "503", "malformed", "no-choices", "-"]);
  });

  it("resets connections and checks the bearer key", async () => {
    s = await startFakeOpenAI({ faults: { 1: "reset" }, apiKey: "k1" });
    await expect(post(s.url, chat("a"), { authorization: "Bearer k1" })).rejects.toThrow();
    expect((await post(s.url, chat("a"), { authorization: "Bearer nope" })).status).toBe(401);
    expect((await post(s.url, chat("a"), { authorization: "Bearer k1" })).status).toBe(200);
  });

  it("draws random faults reproducibly from the seed", async () => {
    const pattern = async (seed: number) => {
      const srv = await startFakeOpenAI({ faultRate: 0.5, faultKinds: ["500", "503"], seed });
      for (let i = 0; i < 12; i++) await post(srv.url, chat("a"));
      const out = srv.requests.map((r) => r.fault ?? "-").join(",");
      await srv.close();
      return out;
    };
    const a = await pattern(5);
    expect(await pattern(5)).toBe(a);
    expect(a).toMatch(/50[03]/);
    expect(a).toMatch(/-/);
  });
});
