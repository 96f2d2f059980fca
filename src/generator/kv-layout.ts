/** The KV-cache layout of a decoder session (cache input/output names, heads, head size, element type). */
import type * as ort from "onnxruntime-node";
import { UserError } from "../util/errors.js";
import { EMBEDS_INPUT, IDS_INPUT, STEP_KV_PREFIX } from "./prepare/rewrite.js";

/** KV-cache layout read off a decoder session's inputs. */
export interface KvLayout {
  /** Input names in order, e.g. past_key_values.0.key. */
  pastNames: string[];
  /** Matching output names, e.g. present.0.key. */
  presentNames: string[];
  /** Matching step_key_values.* outputs (this pass's K/V only), when the graph has them all. */
  stepNames: string[] | null;
  kvHeads: number;
  headDim: number;
  /** Element type of the cache. */
  type: "float32" | "float16";
}

/** Inputs the runtime knows how to feed. */
const KNOWN_INPUTS = new Set([
  IDS_INPUT,
  EMBEDS_INPUT,
  "attention_mask",
  "position_ids",
  "use_cache_branch",
  "num_logits_to_keep",
]);

/** Read the KV layout of a decoder session; UserError when it has no usable cache inputs. */
export function kvLayoutOf(session: ort.InferenceSession, label: string): KvLayout {
  const meta = session.inputMetadata;
  const past = meta.filter((m) => m.name.startsWith("past_key_values."));
  const unknown = meta.filter((m) => !KNOWN_INPUTS.has(m.name) && !m.name.startsWith("past_key_values."));
  if (unknown.length)
    throw new UserError(`${label}: unsupported decoder input(s) ${unknown.map((m) => m.name).join(", ")}`);
  if (past.length === 0 || !past.every((m) => m.isTensor))
    throw new UserError(
      `${label}: decoder has no past_key_values.* inputs (export it with KV cache, "with-past")`,
    );
  const first = past[0] as ort.InferenceSession.TensorValueMetadata;
  const kvHeads = Number(first.shape[1]);
  const headDim = Number(first.shape[3]);
  if (!Number.isFinite(kvHeads) || !Number.isFinite(headDim) || first.shape.length !== 4)
    throw new UserError(
      `${label}: cannot read KV heads/head dim from ${first.name} shape [${first.shape.join(",")}]`,
    );
  const pastNames = past.map((m) => m.name);
  const presentNames = pastNames.map((n) => n.replace(/^past_key_values\./, "present."));
  const outs = new Set(session.outputNames);
  for (const p of presentNames) if (!outs.has(p)) throw new UserError(`${label}: decoder has no output ${p}`);
  if (!outs.has("logits")) throw new UserError(`${label}: decoder has no "logits" output`);
  const type = first.type === "float16" ? "float16" : "float32";
  const stepNames = pastNames.map((n) => n.replace(/^past_key_values\./, STEP_KV_PREFIX));
  const hasStep = stepNames.every((n) => outs.has(n));
  return { pastNames, presentNames, stepNames: hasStep ? stepNames : null, kvHeads, headDim, type };
}
