/**
 * The plan of a zero-config run (local generator and/or local black box): which model files are
 * downloaded (with sizes when known) and how long the run should take on this kind of machine.
 * Data only: the CLI prints it (see {@link describeZeroConfigPlan} for the lines). No I/O here: what
 * is already downloaded, exact sizes from the hub and the number of cores are passed in.
 *
 * Time estimate:
 *   black box  = calls x (msPerQuery + (answerTokens - 4) x msPerExtraToken)   (batched, prefix reuse)
 *   generator  = instructions x (msPerInstructionPrefill + instructionTokens x msPerInstructionToken)
 * with the per-call figures of {@link MEASURED_SPEEDS} (npm run bench:local, 2 cores), scaled by
 * 2 / cores (compute-bound on CPU; a rough rule, more cores help less than linearly).
 */

/** Approximate download of one model variant. */
export interface KnownVariant {
  /** Bytes of onnx/model{suffix}.onnx + its external data. */
  onnxBytes: number;
}

/** A model the plan knows sizes and speeds for. */
export interface KnownModel {
  /** Parameters. */
  params: number;
  /** Bytes of config, tokenizer and template files. */
  textFilesBytes: number;
  variants: Partial<Record<string, KnownVariant>>;
  /** Where the figures come from. */
  source: string;
}

/**
 * Sizes of the default model. The ONNX sizes are those of the same-shaped random test model
 * (`buildTestModel(dir, { preset: "qwen05" })`: fp32 1,976,222,007 bytes, q8 633,188,514 bytes),
 * which lacks only Qwen2's q/k/v biases (~0.1 MB); the hub's listing gives the exact figures.
 */
export const KNOWN_MODELS: Readonly<Record<string, KnownModel>> = {
  "onnx-community/Qwen2.5-0.5B-Instruct": {
    params: 494_000_000,
    textFilesBytes: 7_100_000, // mostly tokenizer.json (~7 MB for Qwen2.5's 151k-token vocabulary)
    variants: {
      fp32: { onnxBytes: 1_976_222_007 },
      q8: { onnxBytes: 633_188_514 },
    },
    source: "estimated from the Qwen2.5-0.5B shapes (same-shaped test model)",
  },
};

/** Per-call speeds of one model on one machine class. */
export interface LocalSpeeds {
  /** Cores of the machine measured. */
  cores: number;
  /** Black-box query (~70 prompt tokens, 4 new tokens), batches of 20 with prefix reuse, by dtype. */
  blackBox: Partial<Record<string, { msPerQuery: number; msPerExtraToken: number }>>;
  /** Instruction generation, batches of 25 (prompt ~250 positions), by dtype. */
  generator: Partial<Record<string, { msPerInstructionPrefill: number; msPerInstructionToken: number }>>;
  source: string;
}

/**
 * Measured by `npm run bench:local` on the Qwen2.5-0.5B-shaped random model, alone on 2 cores (load
 * average 1.6-2.4, the benchmark's own threads). Black box: 20 queries of 81 prompt tokens, 4 new
 * tokens, dynamic batches of 20 with prefix reuse; msPerExtraToken is a decoding step shared by its rows. Generator: batches of 25, prompt 126 positions: prefill and decoding step divided by 25.
 */
export const MEASURED_SPEEDS: Readonly<Record<string, LocalSpeeds>> = {
  "onnx-community/Qwen2.5-0.5B-Instruct": {
    cores: 2,
    blackBox: {
      fp32: { msPerQuery: 60, msPerExtraToken: 8 },
      // end to end (bench:zero-config, paired scoring): 181 s of black-box waiting for 3,000 queries
      q8: { msPerQuery: 60, msPerExtraToken: 4 },
    },
    generator: {
      fp32: { msPerInstructionPrefill: 232, msPerInstructionToken: 5.5 },
      // end to end (bench:zero-config, whole batches of 25): 63.8 s for 150 instructions of 32 tokens
      q8: { msPerInstructionPrefill: 297, msPerInstructionToken: 4 },
    },
    source:
      "npm run bench:zero-config (q8, the default: end to end) and npm run bench:local (fp32) on the qwen05-shaped random model, 2 cores",
  },
};

/** Input of {@link zeroConfigPlan}. */
export interface ZeroConfigPlanInput {
  /** Generator source (hf:org/name[@rev] or a folder); undefined when the method uses none. */
  generator?: string;
  /** Generator ONNX variant (default fp32; "auto": q8 when the repository has it, else fp32). */
  generatorDtype?: string;
  /** Variants the generator repository has, when known (hub listing); default: those of KNOWN_MODELS. */
  generatorVariants?: readonly string[];
  /** Black box id ("local:hf:org/name", "local:DIR", "openai:..."). */
  target: string;
  /**
   * ONNX variant of a local target: the run's (fp32 by default, the variant the local provider loads).
   * Without one, "auto": q8 when the repository has it, else fp32.
   */
  targetDtype?: string;
  /** Variants the target repository has, when known (hub listing); default: those of KNOWN_MODELS. */
  targetVariants?: readonly string[];
  /** Black-box calls of the run (e.g. budget x validation size, plus test and selection calls). */
  blackBoxCalls: number;
  /** Instructions generated. */
  instructions: number;
  /** Expected new tokens per answer (default 4; at most the run's maxTokens). */
  answerTokens?: number;
  /** Expected new tokens per instruction (default 32; at most instructionTokens). */
  instructionTokens?: number;
  /** Cores of this machine (default 2). */
  cores?: number;
  /** True when source + dtype is already downloaded (default: nothing is). */
  isCached?: (source: string, dtype: string) => boolean;
  /** Exact bytes of source + dtype (ONNX + data + text files) when the hub listing is at hand. */
  sizeOf?: (source: string, dtype: string) => number | undefined;
}

/** One model the run opens. */
export interface PlannedModel {
  role: "generator" | "black box";
  /** As given (hf:org/name or a folder). */
  source: string;
  /** Hub repository id, for hf: sources. */
  repoId?: string;
  dtype: string;
  /** Bytes to download (0 when cached or a local folder); undefined when unknown. */
  downloadBytes: number | undefined;
  cached: boolean;
  /** Where the size comes from. */
  sizeFrom: "hub" | "table" | "local" | "cached" | "shared" | "unknown";
}

/** What {@link zeroConfigPlan} returns. */
export interface ZeroConfigPlan {
  models: PlannedModel[];
  /** Sum of the known download sizes. */
  downloadBytes: number;
  /** True when some size is unknown (downloadBytes is then a lower bound). */
  sizesIncomplete: boolean;
  /** Seconds, when the speeds of every local model are known. */
  estimate: {
    blackBoxCalls: number;
    blackBoxSeconds: number | undefined;
    instructions: number;
    generatorSeconds: number | undefined;
    totalSeconds: number | undefined;
    basis: string;
  };
  /** Everything worth saying, the models whose speed is not estimated included. */
  notes: string[];
  /** The notes on what the estimate leaves out (models without a measured speed, an API's time). */
  unestimated: string[];
}

/** org/name of an hf: source (revision dropped), else undefined. */
function repoOf(source: string): string | undefined {
  if (!source.startsWith("hf:")) return undefined;
  const rest = source.slice(3);
  const at = rest.indexOf("@");
  return at < 0 ? rest : rest.slice(0, at);
}

/** The plan of a run with local models (see the module comment). */
export function zeroConfigPlan(input: ZeroConfigPlanInput): ZeroConfigPlan {
  const cores = input.cores ?? 2;
  const isCached = input.isCached ?? (() => false);
  const notes: string[] = [];
  const unestimated: string[] = [];
  const models: PlannedModel[] = [];
  const plan = (role: PlannedModel["role"], source: string, dtype: string): PlannedModel => {
    const repoId = repoOf(source);
    if (!repoId) return { role, source, dtype, downloadBytes: 0, cached: true, sizeFrom: "local" };
    if (isCached(source, dtype))
      return { role, source, repoId, dtype, downloadBytes: 0, cached: true, sizeFrom: "cached" };
    const exact = input.sizeOf?.(source, dtype);
    if (exact !== undefined)
      return { role, source, repoId, dtype, downloadBytes: exact, cached: false, sizeFrom: "hub" };
    const known = KNOWN_MODELS[repoId];
    const v = known?.variants[dtype];
    if (known && v)
      return {
        role,
        source,
        repoId,
        dtype,
        downloadBytes: v.onnxBytes + known.textFilesBytes,
        cached: false,
        sizeFrom: "table",
      };
    return { role, source, repoId, dtype, downloadBytes: undefined, cached: false, sizeFrom: "unknown" };
  };

  // "auto": q8 when the repository has it (hub listing, else the known variants), else fp32; a folder
  // is looked at when the run opens it
  const resolveAuto = (role: string, source: string, dtype: string, listed?: readonly string[]) => {
    if (dtype !== "auto") return dtype;
    const repo = repoOf(source);
    const variants = listed ?? (repo ? Object.keys(KNOWN_MODELS[repo]?.variants ?? {}) : []);
    const out = variants.includes("q8") ? "q8" : variants.length || repo ? "fp32" : "auto";
    if (out === "auto") notes.push(`${role}: q8 if the folder has onnx/model_quantized.onnx, else fp32`);
    return out;
  };
  const generatorDtype = input.generator
    ? resolveAuto("generator", input.generator, input.generatorDtype ?? "fp32", input.generatorVariants)
    : (input.generatorDtype ?? "fp32");
  if (input.generator) models.push(plan("generator", input.generator, generatorDtype));
  const local = input.target.startsWith("local:") ? input.target.slice("local:".length) : undefined;
  let targetDtype = input.targetDtype ?? "auto";
  if (local) {
    targetDtype = resolveAuto("black box", local, targetDtype, input.targetVariants);
    const same = models.find((m) => m.source === local && m.dtype === targetDtype);
    if (same) models.push({ ...same, role: "black box", downloadBytes: 0, sizeFrom: "shared" });
    else {
      const m = plan("black box", local, targetDtype);
      // the text files are shared with the generator's download of the same repository
      const sibling = models.find((x) => x.repoId !== undefined && x.repoId === m.repoId);
      const known = m.repoId ? KNOWN_MODELS[m.repoId] : undefined;
      if (sibling && !sibling.cached && m.sizeFrom === "table" && known && m.downloadBytes !== undefined)
        m.downloadBytes -= known.textFilesBytes;
      models.push(m);
    }
    const downloading = models.some((m) => !m.cached);
    if (
      downloading &&
      input.generator &&
      repoOf(input.generator) === repoOf(local) &&
      generatorDtype !== targetDtype
    )
      notes.push(
        `the generator (${generatorDtype}) and the black box (${targetDtype}) are two variants of one model: both are downloaded`,
      );
  }

  const downloadBytes = models.reduce((a, m) => a + (m.downloadBytes ?? 0), 0);
  const sizesIncomplete = models.some((m) => m.downloadBytes === undefined);

  // time
  const scale = 2 / Math.max(1, cores);
  const speedsOf = (source: string | undefined) => {
    const repo = source ? repoOf(source) : undefined;
    return repo ? MEASURED_SPEEDS[repo] : undefined;
  };
  const answerTokens = input.answerTokens ?? 4;
  const instructionTokens = input.instructionTokens ?? 32;
  let blackBoxSeconds: number | undefined;
  if (local) {
    const bb = speedsOf(local)?.blackBox[targetDtype];
    if (bb)
      blackBoxSeconds =
        (input.blackBoxCalls * (bb.msPerQuery + Math.max(0, answerTokens - 4) * bb.msPerExtraToken) * scale) /
        1000;
    else unestimated.push(`no measured speed for the black box ${local} (${targetDtype})`);
  } else {
    blackBoxSeconds = undefined;
    unestimated.push(`black box ${input.target}: time depends on the API (not estimated)`);
  }
  let generatorSeconds: number | undefined = 0;
  if (input.generator) {
    const g = speedsOf(input.generator)?.generator[generatorDtype];
    generatorSeconds = g
      ? (input.instructions *
          (g.msPerInstructionPrefill + instructionTokens * g.msPerInstructionToken) *
          scale) /
        1000
      : undefined;
    if (!g) unestimated.push(`no measured speed for the generator ${input.generator} (${generatorDtype})`);
  }
  const totalSeconds =
    blackBoxSeconds !== undefined && generatorSeconds !== undefined
      ? blackBoxSeconds + generatorSeconds
      : undefined;
  return {
    models,
    downloadBytes,
    sizesIncomplete,
    estimate: {
      blackBoxCalls: input.blackBoxCalls,
      blackBoxSeconds,
      instructions: input.instructions,
      generatorSeconds,
      totalSeconds,
      basis:
        `${MEASURED_SPEEDS["onnx-community/Qwen2.5-0.5B-Instruct"].source}, scaled to ${cores} cores; ` +
        `${answerTokens} tokens per answer, ${instructionTokens} per instruction`,
    },
    notes: [...notes, ...unestimated],
    unestimated,
  };
}

/** Human-readable size. */
function size(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/** Human-readable duration. */
function duration(s: number): string {
  return s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

/**
 * The lines the CLI prints before a zero-config run starts. Notes on what the time estimate leaves out
 * come only with an estimate (the two variants of one model are noted only while downloading, in
 * zeroConfigPlan): a run of models already downloaded and without a measured speed (a test model, an
 * API target) prints no note every time.
 */
export function describeZeroConfigPlan(p: ZeroConfigPlan): string[] {
  const lines: string[] = [];
  for (const m of p.models) {
    const what = `${m.role}: ${m.source} (${m.dtype})`;
    if (m.sizeFrom === "local") lines.push(`${what}: local folder`);
    else if (m.sizeFrom === "shared") lines.push(`${what}: the generator's files`);
    else if (m.cached) lines.push(`${what}: already downloaded`);
    else
      lines.push(
        `${what}: download ${m.downloadBytes === undefined ? "size unknown" : `${m.sizeFrom === "table" ? "~" : ""}${size(m.downloadBytes)}`}`,
      );
  }
  if (p.downloadBytes > 0)
    lines.push(
      `to download: ${p.sizesIncomplete ? "at least " : "~"}${size(p.downloadBytes)} (once, into the hub cache)`,
    );
  const e = p.estimate;
  const parts: string[] = [];
  if (e.blackBoxSeconds !== undefined)
    parts.push(`black box ${e.blackBoxCalls} calls ~${duration(e.blackBoxSeconds)}`);
  if (e.generatorSeconds !== undefined && e.instructions > 0)
    parts.push(`generator ${e.instructions} instructions ~${duration(e.generatorSeconds)}`);
  if (e.totalSeconds !== undefined)
    lines.push(`estimated time: ~${duration(e.totalSeconds)} (${parts.join(", ")})`);
  else if (parts.length) lines.push(`estimated time: ${parts.join(", ")}`);
  const unestimated = new Set(p.unestimated);
  for (const n of p.notes) if (!unestimated.has(n) || parts.length > 0) lines.push(`note: ${n}`);
  return lines;
}
