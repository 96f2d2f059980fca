import fs from "node:fs";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { sobolPoints } from "../../bo/sobol.js";
import { loadGenerator } from "../../generator/lazy.js";
import type { ProjectionKind } from "../../generator/projection.js";
import { loadTask } from "../../tasks/load.js";
import { sampleDemos, splitTask } from "../../tasks/splits.js";
import type { Demo } from "../../tasks/types.js";
import { UserError } from "../../util/errors.js";
import { showDownloadProgress } from "../download-progress.js";
import { addDataOptions, intOption } from "../shared-options.js";

interface GenerateOpts {
  generator: string;
  task?: string;
  demos?: string;
  count: number;
  seed: number;
  numDemos: number;
  nTokens: number;
  intrinsicDim: number;
  projection: ProjectionKind;
  maxNewTokens: number;
  batchSize: number;
  dtype: string;
  threads?: number;
  dataDir?: string;
  json?: boolean;
}

/** Read demos from a .jsonl file of {"input": ..., "output": ...} lines. */
export function readDemosFile(file: string): Demo[] {
  if (!fs.existsSync(file)) throw new UserError(`demos file not found: ${file}`);
  const demos: Demo[] = [];
  fs.readFileSync(file, "utf8")
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new UserError(`${file}:${i + 1}: not valid JSON`);
      }
      const o = v as { input?: unknown; output?: unknown };
      if (typeof o.input !== "string" || typeof o.output !== "string")
        throw new UserError(`${file}:${i + 1}: expected {"input": string, "output": string}`);
      demos.push({ input: o.input, output: o.output });
    });
  if (demos.length === 0) throw new UserError(`${file}: no demos`);
  return demos;
}

function projectionOption(v: string): ProjectionKind {
  if (v !== "uniform" && v !== "normal") throw new InvalidArgumentError("must be uniform or normal");
  return v;
}

/** Register `instructzero generate`. */
export function registerGenerateCommand(program: Command): void {
  addDataOptions(
    program
      .command("generate")
      .description(
        "Print the instructions the generator writes for N soft prompts (scrambled Sobol points in " +
          "[-1, 1]^d), from a task's demos, with timings. No black box is called.",
      )
      .requiredOption("--generator <source>", "generator model folder or hf:org/name[@revision]")
      .option("--task <name>", "benchmark task name or task file (.jsonl/.csv) giving the demos")
      .option("--demos <file>", "demos as .jsonl lines of {input, output} (instead of --task)")
      .option("--count <n>", "number of soft prompts", intOption("--count", 1), 5)
      .option(
        "--seed <n>",
        "seed (projection, Sobol scramble, split and demo sampling)",
        intOption("--seed"),
        0,
      )
      .option("--num-demos <n>", "demos shown to the generator", intOption("--num-demos", 1), 5)
      .option("--n-tokens <n>", "soft-prompt tokens", intOption("--n-tokens", 1), 5)
      .option("--intrinsic-dim <n>", "length of z", intOption("--intrinsic-dim", 1), 10)
      .option("--projection <kind>", "random projection: uniform or normal", projectionOption, "uniform")
      .option("--max-new-tokens <n>", "max tokens per instruction", intOption("--max-new-tokens", 1), 128)
      .option("--batch-size <n>", "soft prompts per forward batch", intOption("--batch-size", 1), 25)
      .option("--dtype <dtype>", "ONNX variant of the generator (fp32, fp16, q4 ...)", "fp32")
      .option("--threads <n>", "onnxruntime threads (default: one per core)", intOption("--threads", 1))
      .option("--json", "print JSON lines instead of text"),
  ).action(async (opts: GenerateOpts) => {
    let demos: Demo[];
    if (opts.demos) demos = readDemosFile(opts.demos).slice(0, opts.numDemos);
    else if (opts.task) {
      const task = await loadTask(opts.task, { dataDir: opts.dataDir, seed: opts.seed });
      demos = sampleDemos(splitTask(task, { seed: opts.seed }).promptGen, opts.numDemos, opts.seed);
    } else throw new UserError("generate needs --task NAME or --demos FILE.jsonl");
    const t0 = performance.now();
    const stopProgress = showDownloadProgress(); // an hf: generator downloads on first use
    const gen = await loadGenerator(opts.generator, {
      seed: opts.seed,
      nTokens: opts.nTokens,
      intrinsicDim: opts.intrinsicDim,
      projection: opts.projection,
      maxNewTokens: opts.maxNewTokens,
      batchSize: opts.batchSize,
      dtype: opts.dtype,
      threads: opts.threads,
    }).finally(stopProgress);
    const tLoad = performance.now() - t0;
    try {
      const zs = sobolPoints(opts.count, opts.intrinsicDim, opts.seed);
      const t1 = performance.now();
      const out = await gen.generate(zs, demos);
      const tGen = performance.now() - t1;
      const newTokens = out.reduce((a, r) => a + r.newTokens, 0);
      out.forEach((r, i) => {
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ index: i, z: zs[i], ...r, ms: Math.round(r.ms) })}\n`);
        else
          process.stdout.write(
            `[${i + 1}] ${JSON.stringify(r.text)}  (${r.newTokens} tokens, ${Math.round(r.ms)} ms)\n`,
          );
      });
      process.stderr.write(
        `${out.length} instructions, prompt ${out[0]?.promptTokens ?? 0} positions; load ${(tLoad / 1000).toFixed(1)} s, ` +
          `generate ${(tGen / 1000).toFixed(1)} s (${((newTokens / tGen) * 1000).toFixed(1)} new tokens/s), ` +
          `distinct ${new Set(out.map((r) => r.text)).size}/${out.length}\n`,
      );
    } finally {
      await gen.close();
    }
  });
}
