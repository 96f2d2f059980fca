import { describe, expect, it } from "vitest";
import { describeZeroConfigPlan, KNOWN_MODELS, zeroConfigPlan } from "../../src/generator/plan-local.js";

const QWEN = "hf:onnx-community/Qwen2.5-0.5B-Instruct";

describe("zero-config plan", () => {
  it("lists the downloads of the default run and estimates its time from the measured speeds", () => {
    const plan = zeroConfigPlan({
      generator: QWEN,
      target: `local:${QWEN}`,
      blackBoxCalls: 3000,
      instructions: 150,
    });
    expect(plan.models.map((m) => [m.role, m.dtype, m.sizeFrom])).toEqual([
      ["generator", "fp32", "table"],
      ["black box", "q8", "table"],
    ]);
    const known = KNOWN_MODELS["onnx-community/Qwen2.5-0.5B-Instruct"];
    // the text files are counted once
    expect(plan.downloadBytes).toBe(
      (known.variants.fp32?.onnxBytes ?? 0) + (known.variants.q8?.onnxBytes ?? 0) + known.textFilesBytes,
    );
    expect(plan.estimate.totalSeconds).toBeGreaterThan(0);
    expect(plan.notes.join(" ")).toMatch(/two variants of one model/);
    const lines = describeZeroConfigPlan(plan);
    expect(lines[0]).toMatch(
      /^generator: hf:onnx-community\/Qwen2.5-0.5B-Instruct \(fp32\): download ~1.98 GB$/,
    );
    expect(lines.find((l) => l.startsWith("estimated time"))).toMatch(/black box 3000 calls/);
    // more cores: less time; cached models: nothing to download
    const fast = zeroConfigPlan({
      generator: QWEN,
      generatorDtype: "q8",
      target: `local:${QWEN}`,
      blackBoxCalls: 3000,
      instructions: 150,
      cores: 4,
      isCached: () => true,
    });
    expect(fast.downloadBytes).toBe(0);
    expect(fast.models[1]).toMatchObject({ cached: true, sizeFrom: "shared", dtype: "q8" });
    expect(describeZeroConfigPlan(fast)[1]).toMatch(/the generator's files$/);
    expect(fast.estimate.totalSeconds ?? 0).toBeLessThan(plan.estimate.totalSeconds ?? 0);
  });

  it("the default variant (auto) plans one q8 download shared by the generator and the black box", () => {
    const plan = zeroConfigPlan({
      generator: QWEN,
      generatorDtype: "auto",
      target: `local:${QWEN}`,
      targetDtype: "auto",
      blackBoxCalls: 3000,
      instructions: 150,
    });
    const known = KNOWN_MODELS["onnx-community/Qwen2.5-0.5B-Instruct"];
    expect(plan.models.map((m) => [m.role, m.dtype, m.sizeFrom])).toEqual([
      ["generator", "q8", "table"],
      ["black box", "q8", "shared"],
    ]);
    expect(plan.downloadBytes).toBe((known.variants.q8?.onnxBytes ?? 0) + known.textFilesBytes);
    expect(plan.notes.join(" ")).not.toMatch(/two variants/);
    // a repository listed without q8: fp32; a folder: decided when the run opens it
    const noQ8 = zeroConfigPlan({
      generator: "hf:someone/other-model",
      generatorDtype: "auto",
      generatorVariants: ["fp32"],
      target: "openai:gpt-4o-mini",
      blackBoxCalls: 0,
      instructions: 150,
    });
    expect(noQ8.models[0].dtype).toBe("fp32");
    const folder = zeroConfigPlan({
      generator: "./models/qwen",
      generatorDtype: "auto",
      target: "openai:gpt-4o-mini",
      blackBoxCalls: 0,
      instructions: 150,
    });
    expect(folder.models[0].dtype).toBe("auto");
    expect(folder.notes.join(" ")).toMatch(/generator: q8 if the folder has onnx\/model_quantized.onnx/);
  });

  it("takes exact sizes when given and says what it does not know", () => {
    const plan = zeroConfigPlan({
      generator: "hf:someone/other-model",
      target: "openai:gpt-4o-mini",
      blackBoxCalls: 3000,
      instructions: 150,
      sizeOf: (s) => (s === "hf:someone/other-model" ? 123_000_000 : undefined),
    });
    expect(plan.models).toHaveLength(1);
    expect(plan.models[0]).toMatchObject({ sizeFrom: "hub", downloadBytes: 123_000_000 });
    expect(plan.estimate.totalSeconds).toBeUndefined();
    expect(plan.notes.join("\n")).toMatch(/depends on the API[\s\S]*no measured speed for the generator/);
    const folder = zeroConfigPlan({ target: "local:./models/qwen", blackBoxCalls: 10, instructions: 0 });
    expect(folder.models[0]).toMatchObject({ sizeFrom: "local", downloadBytes: 0, dtype: "auto" });
  });

  it("prints notes only when relevant: no note on every run of cached models without a measured speed", () => {
    // a test model and an API target, already downloaded: nothing to estimate, nothing to say
    const cached = zeroConfigPlan({
      generator: "hf:someone/test-model",
      target: "openai:gpt-4o-mini",
      blackBoxCalls: 3000,
      instructions: 150,
      isCached: () => true,
    });
    expect(cached.notes).toHaveLength(2); // still in the plan
    const lines = describeZeroConfigPlan(cached);
    expect(lines.filter((l) => l.startsWith("note:"))).toEqual([]);
    // the default generator has a measured speed: the estimate says what it leaves out
    const api = zeroConfigPlan({
      generator: QWEN,
      target: "openai:gpt-4o-mini",
      blackBoxCalls: 3000,
      instructions: 150,
      isCached: () => true,
    });
    const apiLines = describeZeroConfigPlan(api);
    expect(apiLines.some((l) => l.startsWith("estimated time: generator 150 instructions"))).toBe(true);
    expect(apiLines).toContain("note: black box openai:gpt-4o-mini: time depends on the API (not estimated)");
    // two variants of one model: said while they are to be downloaded, not once they are
    const variants = (isCached: () => boolean) =>
      zeroConfigPlan({
        generator: QWEN,
        generatorDtype: "q8",
        target: `local:${QWEN}`,
        targetDtype: "fp32",
        blackBoxCalls: 10,
        instructions: 1,
        isCached,
      }).notes.join(" ");
    expect(variants(() => false)).toMatch(/two variants of one model/);
    expect(variants(() => true)).not.toMatch(/two variants/);
  });
});
