/**
 * Where a run stands right now, for the live pages: its live status, the phase of its latest request,
 * its progress through the search budget, an ETA from the pace of its latest evaluations, and its spend
 * against its caps. Read from the ledger with a handful of small queries.
 */
import type { BaselineResult } from "../optimizers/phases/results-types.js";
import { runState } from "../optimizers/phases/run-state.js";
import type { Ledger } from "../store/ledger.js";
import { latestPhase, recentEvaluationTimes } from "../store/queries.js";
import type { RunRecord } from "../store/types.js";

/** A run's live numbers. */
export interface LiveState {
  status: RunRecord["status"];
  statusMessage: string | null;
  /** Phase of the latest request (search, selection, baselines, test ...), or null before any. */
  phase: string | null;
  /** Progress within the selection or baselines phase (from the run's checkpoints), else null. */
  phaseProgress: { done: number; total: number | null; of: string } | null;
  /** Baselines scored so far (the result's once the run completed, else the checkpoint's). */
  baselines: BaselineResult[];
  evaluations: number;
  /** The best validation score so far and its evaluation, or null. */
  best: { index: number; score: number } | null;
  budget: number;
  /** Seconds until the search's budget is used at the recent pace (running searches only). */
  etaSeconds: number | null;
  /** Paid requests (every source) and dollars so far. */
  calls: number;
  costUsd: number;
  maxCalls: number | null;
  maxCost: number | null;
  /** Who runs it (host, pid), when someone does. */
  holder: { host: string; pid: number } | null;
}

/** Evaluations whose pace gives the ETA. */
const PACE_WINDOW = 20;

/** The live state of `run` (a record just read) with `evaluations` recorded, the best of them `best`. */
export function liveStateOf(
  ledger: Ledger,
  run: RunRecord,
  evaluations: number,
  best: { index: number; score: number } | null,
): LiveState {
  const spend = ledger.spendBySource(run.id);
  let calls = 0;
  let costUsd = 0;
  for (const s of Object.values(spend)) {
    calls += s.calls;
    costUsd += s.costUsd;
  }
  if (calls === 0 && run.result) {
    calls = run.result.totals.calls;
    costUsd = run.result.totals.totalCostUsd ?? run.result.totals.costUsd;
  }
  const phase = latestPhase(ledger, run.id)?.phase ?? null;
  const budget = run.config.budget;
  let etaSeconds: number | null = null;
  if (run.status === "running" && evaluations < budget) {
    const times = recentEvaluationTimes(ledger, run.id, PACE_WINDOW).map((t) => Date.parse(t));
    if (times.length >= 2) {
      const per = (times[times.length - 1] - times[0]) / (times.length - 1);
      if (Number.isFinite(per) && per >= 0) etaSeconds = Math.round((per * (budget - evaluations)) / 1000);
    }
  }
  const holder = run.status === "running" ? ledger.lockHolder(run.id) : null;
  const state = runState(ledger, run.id);
  const baselines = run.result?.baselines ?? state.baselines.get() ?? [];
  let phaseProgress: LiveState["phaseProgress"] = null;
  if (!run.result && phase === "selection") {
    const done = state.selectionProgress.get()?.length ?? 0;
    phaseProgress = {
      done,
      total: run.config.selectionTopK ?? null,
      of: "candidates scored on the selection split",
    };
  } else if (!run.result && phase === "baselines") {
    phaseProgress = { done: baselines.length, total: null, of: "baselines scored" };
  }
  return {
    status: run.status,
    statusMessage: run.statusMessage,
    phase,
    phaseProgress,
    baselines,
    evaluations,
    best,
    budget,
    etaSeconds,
    calls,
    costUsd,
    maxCalls: run.config.maxCalls ?? null,
    maxCost: run.config.maxCost ?? null,
    holder: holder ? { host: holder.host, pid: holder.pid } : null,
  };
}
