/**
 * Extra candidates given by the user (`initInstructions`: human or APE instructions), scored on the
 * validation set after the search and recorded like the search's candidates (marked `origin: "init"`),
 * so they compete in selection. They have no soft prompt, so they do not enter the BO model.
 */
import type { EvaluationRecord } from "../../store/types.js";
import { scoreCandidate } from "../score-candidate.js";
import type { MethodContext } from "../types.js";

/** Score the init instructions not yet recorded; returns every record of the run. */
export async function scoreInitCandidates(
  ctx: MethodContext,
  records: EvaluationRecord[],
  instructions: readonly string[],
): Promise<EvaluationRecord[]> {
  const already = records.filter((r) => r.origin === "init").length;
  const iteration = Math.max(0, ...records.filter((r) => r.origin !== "init").map((r) => r.iteration)) + 1;
  for (let i = already; i < instructions.length; i++) {
    if (ctx.signal?.aborted) break;
    const record = await scoreCandidate(
      ctx,
      {
        index: records.length,
        iteration,
        z: null,
        instruction: instructions[i],
        generationMs: 0,
        origin: "init",
      },
      records,
    );
    records.push(record);
  }
  return records;
}
