import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { seedFor } from "../../src/util/rng.js";
import { runCli } from "../helpers/cli.js";
import { readBody, startHttpServer, type TestServer } from "../helpers/http-server.js";
import { torchLoad } from "../helpers/torch-load.js";

const fx = makeOptimizeFixture();

describe("optimize with the generator decoded on a vLLM server (--vllm-url)", () => {
  let vllm: TestServer;
  let blackBox: FakeOpenAI;
  const shapes: number[][] = [];
  beforeAll(async () => {
    vllm = await startHttpServer(async (req, res) => {
      const body = JSON.parse((await readBody(req)).toString("utf8"));
      const t = torchLoad(Buffer.from(body.prompt_embeds, "base64"));
      shapes.push(t.shape);
      // The "instruction" depends on the soft prompt: a hash of the first embedding row.
      const h = seedFor(0, Array.from(t.data.slice(0, 8)).join(",")) >>> 0;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ model: body.model, choices: [{ index: 0, text: `instruction ${h % 97}` }] }));
    });
    blackBox = await startFakeOpenAI({ answer: instructionQualityAnswer });
  });
  afterAll(async () => {
    await vllm.close();
    await blackBox.close();
  });

  it("sends (seq, hidden) prompt embeddings and scores what comes back", async () => {
    const r = await runCli(
      [
        ...["optimize", "--task", fx.taskFile, "--target", "openai:fake", "--base-url", blackBox.url],
        ...["--generator", fx.model, "--vllm-url", vllm.url, "--vllm-model", "micro"],
        ...[
          "--method",
          "instructzero",
          "--budget",
          "8",
          "--initial-points",
          "4",
          "--batch-size",
          "4",
          "--validation-size",
          "3",
        ],
        ...["--ledger", join(fx.dir, "vllm.ledger.sqlite"), "--cache", join(fx.dir, "vllm.cache"), "--json"],
      ],
      { env: { OPENAI_API_KEY: "sk-test" } },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("completed");
    expect(out.best.instruction).toMatch(/^instruction \d+$/);
    expect(shapes).toHaveLength(8);
    const hidden = shapes[0][1];
    for (const s of shapes) expect(s).toEqual([shapes[0][0], hidden]); // same prompt length, soft tokens included
  });
});
