/**
 * Oracle input for test/fixtures/generator/micro-seed0-logits.json: builds the micro test model
 * (seed 0, external data) into DIR and writes DIR/manifest.json mapping each weight to its
 * offset/length/dims inside DIR/onnx/model.onnx_data, for scripts/oracles/generator_llama.py.
 *
 * usage: npx tsx scripts/oracles/generator-llama-dump.ts DIR
 *        python3 scripts/oracles/generator_llama.py DIR > test/fixtures/generator/micro-seed0-logits.json
 */
import fs from "node:fs";
import path from "node:path";
import { readModel } from "../../src/generator/onnx/proto.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: generator-llama-dump.ts DIR");
buildTestModel(dir, { preset: "micro", seed: 0, external: true });
const model = readModel(path.join(dir, "onnx", "model.onnx"));
const manifest: Record<string, { offset: number; length: number; dims: number[] }> = {};
for (const t of model.graph?.initializer ?? []) {
  const ed = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
  if (ed.location)
    manifest[t.name] = { offset: Number(ed.offset), length: Number(ed.length), dims: t.dims.map(Number) };
}
fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
