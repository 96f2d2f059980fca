/**
 * Without onnxruntime-node (simulated by pointing the loader at a package that does not exist):
 * every local-model entry point fails with the one UserError that says what to install, and the
 * vLLM generator still works (its embeddings come from the model files, not from the runtime).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openGenerator } from "../../src/generator/backends/index.js";
import { loadGenerator, openLocalModel, prepareDecoder } from "../../src/generator/lazy.js";
import { ortMissingError, setOrtSpecifierForTests } from "../../src/generator/ort.js";
import { loadTablePromptEmbedder } from "../../src/generator/vllm-generator.js";
import { UserError } from "../../src/util/errors.js";
import { testModel } from "../generator/helpers.js";
import { readBody, startHttpServer, type TestServer } from "../helpers/http-server.js";
import { torchLoad } from "../helpers/torch-load.js";

const INSTALL =
  /needs onnxruntime-node, which is not installed.*`ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node`/s;

let dir: string;
let server: TestServer | undefined;
beforeAll(() => {
  dir = testModel({ preset: "micro" });
  setOrtSpecifierForTests("onnxruntime-node-not-installed-here");
});
afterAll(() => setOrtSpecifierForTests());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const base = {
  source: "",
  seed: 0,
  nTokens: 5,
  intrinsicDim: 10,
  projection: "uniform" as const,
  dtype: "fp32",
  maxNewTokens: 16,
};

describe("without onnxruntime-node", () => {
  it("says what to install for every local-model entry point", async () => {
    const attempts: Array<Promise<unknown>> = [
      loadGenerator(dir, { seed: 0 }),
      openLocalModel(dir),
      prepareDecoder(`${dir}/onnx/model.onnx`),
      openGenerator({ ...base, source: dir }),
    ];
    for (const p of attempts) {
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(INSTALL);
    }
    expect(ortMissingError("a local model").message).toMatch(/^a local model needs onnxruntime-node/);
    expect(ortMissingError().message).toMatch(/vLLM generator \(--vllm-url\) work without it/);
  });

  it("runs the vLLM generator, sending the embeddings of the model files", async () => {
    const seen: Array<{ shape: number[]; data: Float32Array }> = [];
    server = await startHttpServer(async (req, res) => {
      const body = JSON.parse((await readBody(req)).toString("utf8")) as { prompt_embeds: string };
      const t = torchLoad(Buffer.from(body.prompt_embeds, "base64"));
      seen.push({ shape: t.shape, data: t.data as Float32Array });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ choices: [{ text: `instruction ${seen.length}` }] }));
    });
    const gen = await openGenerator({ ...base, source: dir, vllmUrl: server.url, vllmModel: "micro" });
    const zs = [Array(10).fill(0.5), Array(10).fill(-0.25)];
    const demos = [{ input: "hot", output: "cold" }];
    const out = await gen.generate(zs, demos);
    await gen.close();
    expect(out.map((o) => o.text).sort()).toEqual(["instruction 1", "instruction 2"]);
    const embedder = await loadTablePromptEmbedder(dir, base);
    const want = await embedder.embedPrompt(zs[0], demos);
    // requests go out concurrently: find the one of z0 by its contents
    expect(seen.map((x) => x.shape)).toEqual([
      [want.length / 32, 32],
      [want.length / 32, 32],
    ]);
    expect(seen.some((x) => x.data.every((v, i) => v === want[i]))).toBe(true);
  });
});
