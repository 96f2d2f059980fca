/**
 * What the chosen instruction costs per 1,000 queries against each baseline, in words (the report's
 * verdict, text and HTML): "The chosen instruction costs $0.0213 per 1,000 queries (median latency
 * 412 ms): no instruction $0.0150 (the chosen one costs 42% more), human instruction $0.0222 (4% less)."
 */
import { fmtUsd } from "../util/format.js";

/** A cost per 1,000 queries and a median latency, when known. */
export interface CostFigures {
  usdPer1k?: number;
  latencyMs?: number;
}

/** The sentence, or null when the chosen instruction's cost is unknown (cached answers, older runs). */
export function costVerdict(
  chosen: CostFigures | undefined,
  baselines: readonly (CostFigures & { name: string })[],
): string | null {
  if (chosen?.usdPer1k === undefined) return null;
  const c = chosen.usdPer1k;
  const latency =
    chosen.latencyMs !== undefined ? ` (median latency ${Math.round(chosen.latencyMs)} ms)` : "";
  const others = baselines
    .filter((b) => b.usdPer1k !== undefined)
    .map((b) => {
      const usd = b.usdPer1k as number;
      const rel =
        usd > 0
          ? c === usd
            ? "the same"
            : `the chosen one costs ${Math.round((Math.abs(c - usd) / usd) * 100)}% ${c > usd ? "more" : "less"}`
          : "free";
      return `${b.name} ${fmtUsd(usd)} (${rel})`;
    });
  return `The chosen instruction costs ${fmtUsd(c)} per 1,000 queries${latency}${others.length ? `: ${others.join(", ")}` : ""}.`;
}
