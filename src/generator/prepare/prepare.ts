/**
 * The "prepare" step on disk: rewrite onnx/<name>.onnx into onnx/<name>_embeds.onnx (reads
 * inputs_embeds) + onnx/embed_tokens[<suffix>].onnx (input_ids -> inputs_embeds), verify on the
 * spot that the rewritten pair gives the original logits and KV cache on a few tokens, and record
 * the result in onnx/<name>_embeds.json. Done once: later calls return the cached files while the
 * source file (size, mtime) and the rewrite version are unchanged. External weight files are
 * never touched; the new graphs reference them by relative path from the same folder.
 */
import fs from "node:fs";
import path from "node:path";
import "../ort-env.js"; // telemetry off before the runtime loads
import * as ort from "onnxruntime-node";
import { UserError } from "../../util/errors.js";
import { extraFeeds, floatData, openSession, PreparedDecoder } from "../decoder.js";
import { readModel, writeModel } from "../onnx/proto.js";
import { rewriteToInputsEmbeds } from "./rewrite.js";

/** Bumped whenever the rewrite changes, so cached files are rebuilt. */
export const PREPARE_VERSION = 4;

/** The check run right after a rewrite. */
export interface PrepareCheck {
  tokens: number[];
  /** max |original - rewritten| over last-position logits and every present.* tensor. */
  maxAbsDiff: number;
  /** max |logit| of the original (scale of the comparison). */
  maxAbsLogit: number;
  tolerance: number;
  optimization: "basic";
}

/** Contents of <name>_embeds.json. */
export interface PrepareManifest {
  version: number;
  source: string;
  sourceSize: number;
  sourceMtimeMs: number;
  lastLogitsOnly: boolean;
  /** The decoder also outputs step_key_values.* (runtime keeps the KV cache itself). */
  stepKv: boolean;
  decoder: string;
  embed: string;
  hidden: number;
  lookup: string;
  tableType: number;
  plainFloatTable: boolean;
  /** The embedding graph looks rows up in the int8 table and dequantizes only them (version 4). */
  dequantizesRows: boolean;
  check: PrepareCheck;
}

/** Result of {@link prepareDecoder}: absolute paths plus the manifest. */
export interface PreparedFiles {
  source: string;
  decoder: string;
  embed: string;
  manifest: PrepareManifest;
  /** True when nothing had to be rewritten. */
  cached: boolean;
}

/** Options of {@link prepareDecoder}. */
export interface PrepareOptions {
  /** Hidden size (config.json hidden_size) for tables it cannot be read from. */
  hidden?: number;
  /** Rewrite even when cached files are up to date. */
  force?: boolean;
  /** Token ids of the check (default 8 small ids valid in any vocabulary). */
  checkTokens?: number[];
  /** Compute logits at the last position only (default true). */
  lastLogitsOnly?: boolean;
}

/** Names of the files written for a decoder file name, e.g. model_q4.onnx. */
export function preparedNames(sourceFile: string): { decoder: string; embed: string; manifest: string } {
  const base = path.basename(sourceFile).replace(/\.onnx$/, "");
  const suffix = base.startsWith("model") ? base.slice("model".length) : `_${base}`;
  return {
    decoder: `${base}_embeds.onnx`,
    embed: `embed_tokens${suffix}.onnx`,
    manifest: `${base}_embeds.json`,
  };
}

/** Read a manifest if it exists and still matches the source; else null. */
function upToDate(sourceFile: string, manifestFile: string, lastLogitsOnly: boolean): PrepareManifest | null {
  if (!fs.existsSync(manifestFile)) return null;
  try {
    const m = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as PrepareManifest;
    const st = fs.statSync(sourceFile);
    const dir = path.dirname(sourceFile);
    const ok =
      m.version === PREPARE_VERSION &&
      m.sourceSize === st.size &&
      m.sourceMtimeMs === st.mtimeMs &&
      m.lastLogitsOnly === lastLogitsOnly &&
      fs.existsSync(path.join(dir, m.decoder)) &&
      fs.existsSync(path.join(dir, m.embed));
    return ok ? m : null;
  } catch {
    return null;
  }
}

/**
 * Prepare one decoder file (absolute or relative path to onnx/<name>.onnx). Throws UserError for
 * unsupported graphs and when the check fails.
 */
export async function prepareDecoder(
  sourceFile: string,
  options: PrepareOptions = {},
): Promise<PreparedFiles> {
  if (!fs.existsSync(sourceFile)) throw new UserError(`decoder file not found: ${sourceFile}`);
  const dir = path.dirname(sourceFile);
  const names = preparedNames(sourceFile);
  const manifestFile = path.join(dir, names.manifest);
  const lastLogitsOnly = options.lastLogitsOnly ?? true;
  const cachedManifest = options.force ? null : upToDate(sourceFile, manifestFile, lastLogitsOnly);
  if (cachedManifest)
    return {
      source: sourceFile,
      decoder: path.join(dir, cachedManifest.decoder),
      embed: path.join(dir, cachedManifest.embed),
      manifest: cachedManifest,
      cached: true,
    };
  let model: ReturnType<typeof readModel>;
  try {
    model = readModel(sourceFile);
  } catch (err) {
    throw new UserError(`${sourceFile}: not a readable ONNX model (${(err as Error).message})`, {
      cause: err,
    });
  }
  const r = rewriteToInputsEmbeds(model, { hidden: options.hidden, lastLogitsOnly, label: sourceFile });
  const decoderFile = path.join(dir, names.decoder);
  const embedFile = path.join(dir, names.embed);
  writeModel(decoderFile, r.decoder);
  writeModel(embedFile, r.embed);
  const tokens = options.checkTokens ?? [1, 2, 3, 5, 8, 13, 21, 34];
  const check = await checkRewrite(sourceFile, decoderFile, embedFile, r.hidden, tokens, {
    logitsOnOnePosition: r.slicedBeforeQuantization,
  });
  check.tolerance = r.plainFloatTable ? 1e-5 * (1 + check.maxAbsLogit) : 1e-3 * (1 + check.maxAbsLogit);
  if (!(check.maxAbsDiff <= check.tolerance)) {
    fs.rmSync(decoderFile, { force: true });
    fs.rmSync(embedFile, { force: true });
    throw new UserError(
      `${sourceFile}: the rewritten graph does not reproduce the original logits ` +
        `(max |diff| ${check.maxAbsDiff} > tolerance ${check.tolerance}); unsupported graph`,
    );
  }
  const st = fs.statSync(sourceFile);
  const manifest: PrepareManifest = {
    version: PREPARE_VERSION,
    source: path.basename(sourceFile),
    sourceSize: st.size,
    sourceMtimeMs: st.mtimeMs,
    lastLogitsOnly: r.lastLogitsOnly,
    stepKv: r.stepKv,
    decoder: names.decoder,
    embed: names.embed,
    hidden: r.hidden,
    lookup: r.lookup,
    tableType: r.tableType,
    plainFloatTable: r.plainFloatTable,
    dequantizesRows: r.dequantizesRows,
    check,
  };
  // the manifest records the *requested* lastLogitsOnly so the cache key matches the request
  manifest.lastLogitsOnly = lastLogitsOnly;
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { source: sourceFile, decoder: decoderFile, embed: embedFile, manifest, cached: false };
}

/**
 * Run the original graph on `tokens` (input_ids) and the rewritten pair (embed_tokens ->
 * inputs_embeds) with ORT 'basic' optimisation, and compare last-position logits and every
 * present.* tensor. Returns the max absolute difference (tolerance filled in by the caller).
 * `logitsOnOnePosition`: compare the logits of a pass over the first token alone (for heads whose
 * activations are quantised per tensor, where slicing to the last position changes the scale).
 */
export async function checkRewrite(
  sourceFile: string,
  decoderFile: string,
  embedFile: string,
  hidden: number,
  tokens: number[],
  options: { logitsOnOnePosition?: boolean } = {},
): Promise<PrepareCheck> {
  const settings = { optimization: "basic" as const };
  const orig = await openSession(sourceFile, settings);
  const dec = new PreparedDecoder(
    await openSession(decoderFile, settings),
    await openSession(embedFile, settings),
    hidden,
    decoderFile,
  );
  const runBoth = async (ids: number[]) => {
    const n = ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      ...dec.emptyCache(1),
    };
    if (orig.inputNames.includes("position_ids"))
      feeds.position_ids = new ort.Tensor("int64", BigInt64Array.from(ids.keys(), BigInt), [1, n]);
    Object.assign(feeds, extraFeeds(orig.inputNames, 0));
    const a = await orig.run(feeds);
    const b = await dec.forward(await dec.embed(ids), 1, n, dec.emptyCache(1), 0);
    return { a, b, n };
  };
  try {
    const full = await runBoth(tokens);
    const { a, b } = full;
    const logitRun = options.logitsOnOnePosition ? await runBoth(tokens.slice(0, 1)) : full;
    const la = floatData(logitRun.a.logits as ort.Tensor);
    const V = logitRun.b.vocab;
    const last = (logitRun.n - 1) * V;
    let maxAbsDiff = 0;
    let maxAbsLogit = 0;
    for (let v = 0; v < V; v++) {
      const x = la[last + v];
      maxAbsLogit = Math.max(maxAbsLogit, Math.abs(x));
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(x - logitRun.b.logits[v]));
    }
    for (const [i, name] of dec.kv.pastNames.entries()) {
      const pa = floatData(a[dec.kv.presentNames[i]] as ort.Tensor);
      // with an empty past, present.* and step_key_values.* both hold exactly this pass's K/V
      const compared = [b.cache[name], ...(dec.kv.stepNames ? [b.step[name]] : [])];
      for (const t of compared) {
        const pb = floatData(t);
        if (pb.length !== pa.length) maxAbsDiff = Number.POSITIVE_INFINITY;
        for (let j = 0; j < pa.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(pa[j] - pb[j]));
      }
    }
    if (Number.isNaN(maxAbsDiff)) maxAbsDiff = Number.POSITIVE_INFINITY;
    return { tokens, maxAbsDiff, maxAbsLogit, tolerance: 0, optimization: "basic" };
  } finally {
    await orig.release();
    await dec.release();
  }
}
