import { describe, expect, it } from "vitest";
import { BadResponseError } from "../../src/blackbox/errors.js";
import { parseMessage } from "../../src/blackbox/providers/anthropic.js";
import { parseChatCompletion } from "../../src/blackbox/providers/openai.js";

describe("parseChatCompletion", () => {
  it("reads text and usage, with usage 0 when the server sends none", () => {
    expect(
      parseChatCompletion(
        { choices: [{ message: { content: "hi" } }], usage: { prompt_tokens: 5, completion_tokens: 2 } },
        "w",
      ),
    ).toEqual({ text: "hi", usage: { inputTokens: 5, outputTokens: 2 } });
    expect(parseChatCompletion({ choices: [{ message: { content: "hi" } }] }, "w").usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
    });
    expect(parseChatCompletion({ choices: [{ message: { content: null, refusal: "no" } }] }, "w").text).toBe(
      "no",
    );
  });

  it("rejects bodies without usable choices", () => {
    for (const body of [
      "<html>",
      null,
      {},
      { choices: [] },
      { choices: [{}] },
      { choices: [{ message: { content: 3 } }] },
    ]) {
      expect(() => parseChatCompletion(body, "openai:m"), JSON.stringify(body)).toThrow(BadResponseError);
    }
  });
});

describe("parseMessage", () => {
  it("joins text blocks and reads usage", () => {
    expect(
      parseMessage(
        {
          content: [
            { type: "thinking", thinking: "..." },
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
          usage: { input_tokens: 4, output_tokens: 1 },
        },
        "w",
      ),
    ).toEqual({ text: "ab", usage: { inputTokens: 4, outputTokens: 1 } });
    expect(() => parseMessage({ id: "x" }, "w")).toThrow(BadResponseError);
  });
});
