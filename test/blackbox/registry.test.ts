import { describe, expect, it } from "vitest";
import { createBlackBox } from "../../src/blackbox/client.js";
import { knownProviders, parseModelId, registerProvider } from "../../src/blackbox/registry.js";
import { UserError } from "../../src/util/errors.js";

describe("parseModelId", () => {
  it("splits provider:model at the first colon", () => {
    expect(parseModelId("openai:gpt-4o-mini")).toEqual({ provider: "openai", model: "gpt-4o-mini" });
    expect(parseModelId("anthropic:claude-3-5-haiku-latest")).toEqual({
      provider: "anthropic",
      model: "claude-3-5-haiku-latest",
    });
    expect(parseModelId("local:C:\\models\\qwen")).toEqual({ provider: "local", model: "C:\\models\\qwen" });
    expect(parseModelId("OpenAI:gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
  });

  it("rejects a name without a colon or with an empty part", () => {
    expect(() => parseModelId("gpt-4o-mini")).toThrow(UserError);
    expect(() => parseModelId("gpt-4o-mini")).toThrow(/provider:model/);
    expect(() => parseModelId("openai:")).toThrow(UserError);
    expect(() => parseModelId(":gpt-4o")).toThrow(UserError);
  });
});

describe("provider registry", () => {
  it("knows the built-in providers", () => {
    createBlackBox; // importing the client registers the built-ins
    expect(knownProviders()).toEqual(expect.arrayContaining(["anthropic", "local", "openai"]));
  });

  it("rejects an unknown provider with a UserError listing the known ones", () => {
    let err: unknown;
    try {
      createBlackBox("mistral:large", { cache: false, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/unknown provider "mistral"/);
    expect((err as Error).message).toMatch(/anthropic, .*local.*openai/);
  });

  it("rejects a model id without provider through createBlackBox", () => {
    expect(() => createBlackBox("gpt-4o-mini", { cache: false, env: {} })).toThrow(UserError);
  });

  it("routes a registered provider through the wrapper", async () => {
    registerProvider("echo-test", (model) => ({
      provider: "echo-test",
      model,
      complete: async (req) => ({
        text: `${model}:${req.prompt}`,
        usage: { inputTokens: 1, outputTokens: 1 },
      }),
    }));
    const bb = createBlackBox("echo-test:m1", { cache: false, env: {} });
    expect(bb.id).toBe("echo-test:m1");
    const c = await bb.complete({ prompt: "hi" });
    expect(c.text).toBe("m1:hi");
    expect(bb.totals()).toMatchObject({ completions: 1, requests: 1, priced: false, costUsd: 0 });
    await bb.close();
  });

  it("loads the local provider lazily, on first use, and passes its errors through", async () => {
    // creating the black box does not touch the model; the first call does
    const bb = createBlackBox("local:/nonexistent/instructzero-model", { cache: false, env: {} });
    const err = await bb.complete({ prompt: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toMatch(/unavailable/);
    await bb.close();
  });
});
