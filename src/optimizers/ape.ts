import type { EvaluationRecord } from "../store/types.js";
import { sampleDemos } from "../tasks/splits.js";
import { renderDemoPrompt } from "../tasks/templates.js";
import type { Demo } from "../tasks/types.js";
import { seedFor } from "../util/rng.js";
import { batchSizes } from "./batches.js";
import type { Candidate } from "./candidate.js";
import { cleanInstruction, emptyInstructionRecord, isEmptyInstruction } from "./clean-instruction.js";
import { evaluateEvent } from "./progress.js";
import { isPerfect } from "./racing.js";
import { bestIndex, scoreCandidate } from "./score-candidate.js";
import type { MethodContext } from "./types.js";

/** APE's forward-generation prompt (Zhou et al. 2023); the model completes "The instruction was to". */
export const APE_TEMPLATE =
  "I gave a friend an instruction and five inputs. The friend read the instruction and wrote an output for every one of the inputs. Here are the input-output pairs:\n\n[full_DEMO]\n\nThe instruction was to";

/** Sampling temperature of APE proposals. */
export const APE_TEMPERATURE = 0.9;

/** The proposal prompt for a set of demos: the one demo format in APE's template (not the generator's). */
export function apePrompt(demos: readonly Demo[]): string {
  return renderDemoPrompt(APE_TEMPLATE, demos);
}

/**
 * Clean a proposal: the proposal continues "The instruction was to", so the instruction is its first
 * line with an instruction in it (the lines after it are the model going on, as in APE), cleaned by
 * {@link cleanInstruction} ("The instruction was to:\n\nAdd the numbers." -> "Add the numbers.";
 * "Sure! Here is the instruction:" alone -> ""). "" when no line has one.
 */
export function cleanProposal(text: string): string {
  for (const line of text.split(/\r\n?|\n/)) {
    const instruction = cleanInstruction(line);
    if (instruction !== "") return instruction;
  }
  return "";
}

/**
 * APE baseline: the proposer model (the black box by default) writes instructions from demos at
 * temperature 0.9, each proposal from its own seeded subsample of 5 demos; every proposal is cleaned
 * ({@link cleanProposal}) and scored on the validation set, and the best wins. A proposal with
 * nothing instruction-like in it scores 0 without any black-box call (its record is marked `empty`).
 * Proposals count against the same evaluation budget. With `racing`, each proposal races the best
 * fully scored one before it (see racing.ts); with `stopAtPerfect`, the first proposal scoring 1 on
 * every validation example ends the search.
 */
export async function runApe(ctx: MethodContext): Promise<void> {
  const { config, ledger, runId } = ctx;
  const proposer = ctx.proposer ?? ctx.blackBox;
  const records: EvaluationRecord[] = ledger.evaluations(runId);
  const sizes = batchSizes(config.budget, config.initialPoints, config.batchSize);
  const iterationOf = (i: number) => {
    let acc = 0;
    for (let it = 0; it < sizes.length; it++) {
      acc += sizes[it];
      if (i < acc) return it;
    }
    return sizes.length - 1;
  };
  const total = ctx.splits.validation.length;
  for (let i = records.length; i < config.budget; i++) {
    if (ctx.signal?.aborted) return;
    if (config.stopAtPerfect && records.some((r) => isPerfect(r, total))) return;
    const demos = sampleDemos(ctx.splits.promptGen, 5, seedFor(config.seed, `ape:${i}`));
    ctx.onProgress?.({
      phase: "generate",
      evaluations: records.length,
      budget: config.budget,
      bestScore: best(records),
    });
    const t0 = performance.now();
    const c = await proposer.complete({
      prompt: apePrompt(demos),
      temperature: APE_TEMPERATURE,
      maxTokens: 128,
    });
    const generationMs = performance.now() - t0;
    ctx.timing.generationMs += generationMs;
    const candidate: Candidate = {
      index: i,
      iteration: iterationOf(i),
      z: null,
      instruction: cleanProposal(c.text),
      generationMs,
      proposalUsage: {
        calls: c.cached ? 0 : 1,
        cacheHits: c.cached ? 1 : 0,
        inputTokens: c.cached ? 0 : c.usage.inputTokens,
        outputTokens: c.cached ? 0 : c.usage.outputTokens,
        costUsd: c.costUsd,
      },
    };
    let record: EvaluationRecord;
    if (isEmptyInstruction(candidate.instruction)) {
      // nothing instruction-like was proposed: score 0, no black-box call (the proposal's cost is kept)
      record = emptyInstructionRecord(candidate, ctx.splits.validation.length);
      ledger.appendEvaluation(runId, record);
    } else record = await scoreCandidate(ctx, candidate, records);
    records.push(record);
    ctx.onProgress?.(evaluateEvent(records, config.budget));
  }
}

function best(records: readonly EvaluationRecord[]): number | null {
  const b = bestIndex(records);
  return b < 0 ? null : records[b].score;
}
