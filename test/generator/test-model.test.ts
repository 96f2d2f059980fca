import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { ChatFormat } from "../../src/generator/chat.js";
import { readModelFolder } from "../../src/generator/model-folder.js";
import { parsePreset, TEST_PRESETS } from "../../src/generator/test-model/build.js";
import { buildTestTokenizer, TEST_EOS_ID } from "../../src/generator/test-model/tokenizer.js";
import { UserError } from "../../src/util/errors.js";
import oracle from "../fixtures/generator/micro-seed0-logits.json" with { type: "json" };
import { maxAbsDiff, testModel } from "./helpers.js";

describe("test-model builder", () => {
  it("writes the transformers.js folder layout with Optimum I/O names", async () => {
    const dir = testModel({ preset: "micro", seed: 1 });
    for (const f of [
      "config.json",
      "generation_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "onnx/model.onnx",
    ])
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(cfg).toMatchObject({
      model_type: "llama",
      hidden_size: 32,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
    });
    const s = await ort.InferenceSession.create(path.join(dir, "onnx/model.onnx"));
    expect(s.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "position_ids",
      "past_key_values.0.key",
      "past_key_values.0.value",
      "past_key_values.1.key",
      "past_key_values.1.value",
    ]);
    expect(s.outputNames).toEqual([
      "logits",
      "present.0.key",
      "present.0.value",
      "present.1.key",
      "present.1.value",
    ]);
    await s.release();
  });

  it("matches an independent numpy LLaMA forward (fixture from scripts/oracles/generator_llama.py)", async () => {
    const dir = testModel({ preset: "micro", seed: 0, external: true });
    expect(fs.existsSync(path.join(dir, "onnx/model.onnx_data"))).toBe(true);
    const s = await ort.InferenceSession.create(path.join(dir, "onnx/model.onnx"));
    const n = oracle.ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(oracle.ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      position_ids: new ort.Tensor("int64", BigInt64Array.from(oracle.ids.keys(), BigInt), [1, n]),
    };
    for (let l = 0; l < 2; l++)
      for (const kv of ["key", "value"])
        feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor("float32", new Float32Array(0), [1, 2, 0, 8]);
    const r = await s.run(feeds);
    const got = r.logits.data as Float32Array;
    const want = oracle.logits.flat();
    // float32 graph vs float64 numpy; logits up to ~22, measured max diff ~1e-5
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
    await s.release();
  });

  it("is deterministic in the seed", () => {
    const a = testModel({ preset: "micro", seed: 5 });
    const b = testModel({ preset: "micro", seed: 5 });
    const c = testModel({ preset: "micro", seed: 6 });
    const read = (d: string) => fs.readFileSync(path.join(d, "onnx/model.onnx"));
    expect(read(a).equals(read(b))).toBe(true);
    expect(read(a).equals(read(c))).toBe(false);
  });

  it("builds tokenizers of the exact vocab size of every preset, round-tripping text", () => {
    for (const [name, shape] of Object.entries(TEST_PRESETS)) {
      const { tokenizer, tokenizerConfig } = buildTestTokenizer(shape.vocab);
      const tok = new Tokenizer(tokenizer, tokenizerConfig);
      expect(tok.get_vocab(true).size, name).toBe(shape.vocab);
      const text = "Input: the cat sat.\nOutput: ÉTÉ 42!";
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      expect(Math.max(...ids)).toBeLessThan(shape.vocab);
      expect(tok.decode(ids)).toBe(text);
      if (shape.vocab > 1000) expect(ids.length).toBeLessThan(text.length); // merges are used
    }
    expect(() => buildTestTokenizer(100)).toThrow(/>= 259/);
  });

  it("has a chat template rendered by the runtime's chat format", () => {
    const dir = testModel({ preset: "micro", seed: 1 });
    const chat = new ChatFormat(readModelFolder(dir));
    expect(chat.render([{ role: "user", content: "hi" }])).toBe(
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    );
    expect([...chat.eosIds]).toEqual([TEST_EOS_ID]);
    const ids = chat.encode("<|im_start|>user\nhi<|im_end|>");
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(TEST_EOS_ID);
  });

  it("rejects unknown presets with a UserError naming the value", () => {
    expect(() => parsePreset("huge")).toThrow(UserError);
    expect(() => parsePreset("huge")).toThrow(/"huge".*micro, tiny, smol135/);
  });
});
