import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { EmbeddingStorage, LinearStorage } from "../../generator/test-model/llama.js";
import { UserError } from "../../util/errors.js";
import { createDownloadProgress } from "../download-progress.js";
import { intOption } from "../shared-options.js";

const STORAGES = ["fp32", "fp16", "int8", "gbq8", "gbq4"] as const;

function storageOption(v: string): EmbeddingStorage {
  if (!(STORAGES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`must be one of ${STORAGES.join(", ")}`);
  return v as EmbeddingStorage;
}

function linearsOption(v: string): LinearStorage {
  if (v !== "fp32" && v !== "q8") throw new InvalidArgumentError("must be fp32 or q8");
  return v;
}

/** Register `instructzero model build-test|prepare`. */
export function registerModelCommand(program: Command): void {
  const model = program
    .command("model")
    .description("Generator model utilities (test models, graph preparation).");
  model
    .command("build-test")
    .description(
      "Write a random-weight LLaMA-shaped model + small tokenizer (with chat template) in the " +
        "transformers.js folder layout, for offline tests and demos.",
    )
    .argument("<dir>", "output folder")
    .option("--preset <name>", "micro | tiny | smol135 (SmolLM2-135M shapes)", "micro")
    .option("--seed <n>", "weight seed", intOption("--seed"), 0)
    .option(
      "--embedding <kind>",
      "embedding table storage: fp32, fp16, int8, gbq8, gbq4 (default: fp32; int8 with --linears q8)",
      storageOption,
    )
    .option(
      "--linears <kind>",
      "linear layers: fp32, or q8 (dynamic int8 quantisation, written as onnx/model_quantized.onnx = dtype q8)",
      linearsOption,
      "fp32",
    )
    .option("--external", "store weights in onnx/model.onnx_data (default: only above 64 MB)")
    .action(
      async (
        dir: string,
        opts: {
          preset: string;
          seed: number;
          embedding?: EmbeddingStorage;
          linears: LinearStorage;
          external?: boolean;
        },
      ) => {
        // heavy modules (ONNX schema, runtime) load only when a model command runs
        const { buildTestModel, parsePreset } = await import("../../generator/test-model/build.js");
        const t0 = performance.now();
        const r = buildTestModel(dir, {
          preset: parsePreset(opts.preset),
          seed: opts.seed,
          embedding: opts.embedding,
          linears: opts.linears,
          external: opts.external,
        });
        const s = r.shape;
        process.stdout.write(
          `wrote ${dir}: ${opts.preset} (hidden ${s.hidden}, ${s.layers} layers, ${s.heads}/${s.kvHeads} heads, ` +
            `vocab ${s.vocab}, embedding ${r.embedding}, linears ${opts.linears}${r.external ? ", external data" : ""}) ` +
            `in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
        );
      },
    );
  model
    .command("prepare")
    .description(
      "Rewrite a decoder to take inputs_embeds and split out embed_tokens.onnx (beside the originals), " +
        "checking the logits on a few tokens. Cached: does nothing when already up to date.",
    )
    .argument("<source>", "model folder or hf:org/name[@revision]")
    .option("--dtype <dtype>", "ONNX variant: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4", "fp32")
    .option("--force", "rewrite even when the prepared files are up to date")
    .action(async (source: string, opts: { dtype: string; force?: boolean }) => {
      const { resolveModelSource } = await import("../../generator/hub/index.js");
      const { readModelFolder } = await import("../../generator/model-folder.js");
      // through the lazy entry: a missing onnxruntime-node is one UserError saying what to install
      const { prepareDecoder } = await import("../../generator/lazy.js");
      const progress = createDownloadProgress();
      let dir: string;
      try {
        dir = await resolveModelSource(source, { dtype: opts.dtype, onProgress: progress.onProgress });
      } finally {
        progress.stop();
      }
      const folder = readModelFolder(dir, { dtype: opts.dtype });
      const t0 = performance.now();
      const r = await prepareDecoder(folder.decoderFile, { hidden: folder.hidden, force: opts.force });
      const c = r.manifest.check;
      if (!Number.isFinite(c.maxAbsDiff)) throw new UserError(`${folder.decoderFile}: check failed`);
      process.stdout.write(
        `${r.cached ? "up to date" : "prepared"}: ${r.decoder}\n` +
          `  embeddings: ${r.embed} (${r.manifest.lookup}, hidden ${r.manifest.hidden})\n` +
          `  check on ${c.tokens.length} tokens: max |diff| ${c.maxAbsDiff.toExponential(2)} ` +
          `(tolerance ${c.tolerance.toExponential(2)}, ORT ${c.optimization})` +
          `${r.cached ? "" : ` in ${((performance.now() - t0) / 1000).toFixed(1)} s`}\n`,
      );
    });
}
