/**
 * Transfer: does the winner still win on other black boxes? The winner, the other top candidates of the
 * selection step and the baselines are scored on the test split of the run with each target model
 * (cached, budgeted by the limits given, resumable: each finished row is stored in the run's ledger).
 */
import { createBlackBox } from "../blackbox/client.js";
import { resolvePrices } from "../blackbox/pricing.js";
import type { RunConfig } from "../config/schema.js";
import { evaluateInstruction } from "../evaluation/evaluate.js";
import { createJudgeScorer } from "../metrics/judge.js";
import { builtinScorer } from "../metrics/scorer.js";
import { CHECKPOINT_KEYS, type Ledger } from "../store/ledger.js";
import { metricForTask } from "../tasks/metrics.js";
import type { Example } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
import { BudgetExhausted, BudgetedBlackBox, type CallBudget, RunBudget } from "./budget.js";
import { testInterval } from "./phases/baselines.js";
import { blackBoxOptionsOf, openMetric } from "./setup.js";

/** One instruction on one target. */
export interface TransferRow {
  target: string;
  /** "winner", "candidate #12", or a baseline's name. */
  name: string;
  instruction: string;
  /** The demonstrations of the prompt (few-shot runs): carried to every target as they were chosen. */
  demos?: { input: string; output: string }[];
  score: number;
  low: number;
  high: number;
}

/** A prompt carried to the other targets. */
type TransferItem = { name: string; instruction: string; demos?: { input: string; output: string }[] };

/** Options of {@link transferRun}. */
export interface TransferOptions extends CallBudget {
  /** Server of the targets (OpenAI-compatible) [each provider's environment or default]. */
  baseURL?: string;
  onRow?: (row: TransferRow) => void;
  /** Progress per target: its test queries answered of the most it asks, and what the transfer spent. */
  onProgress?: (event: TransferProgress) => void;
  env?: NodeJS.ProcessEnv;
}

/** One progress update of a transfer (see {@link TransferOptions.onProgress}). */
export interface TransferProgress {
  target: string;
  /** Test queries of this target answered (cache hits included) of the most it asks. */
  done: number;
  total: number;
  /** Paid attempts and dollars of this transfer so far (all targets). */
  spent: { calls: number; costUsd: number };
}

/** Score the run's winner, top candidates and baselines on each of `targets`; returns every row (old and new). */
export async function transferRun(
  ledger: Ledger,
  runIdOrPrefix: string,
  targets: readonly string[],
  options: TransferOptions = {},
): Promise<{ rows: TransferRow[]; stopped?: string }> {
  const runId = ledger.resolveRunId(runIdOrPrefix);
  const run = ledger.getRun(runId);
  const result = run.result;
  if (!result)
    throw new UserError(`run ${runId} has no result yet: finish it first (instructzero resume ${runId})`);
  const test = ledger.getExamples(runId, "test");
  if (!test || test.length === 0) throw new UserError(`run ${runId} has no test split to transfer on`);
  const config = run.config;
  const evaluations = ledger.evaluations(runId);
  const winner = evaluations.find((e) => e.index === result.bestIndex);
  const items: TransferItem[] = [];
  // few-shot runs: each prompt keeps its demonstrations (a record names them; baselines use the run's fixed ones)
  const fixed = evaluations.find((e) => e.demos && e.origin !== "init")?.demos;
  const withDemos = (demos: TransferItem["demos"]) => (demos?.length ? { demos } : {});
  if (winner) items.push({ name: "winner", instruction: winner.instruction, ...withDemos(winner.demos) });
  for (const c of result.selection?.candidates ?? []) {
    const rec = evaluations.find((e) => e.index === c.index);
    const demos = rec?.demos;
    if (
      !items.some((i) => i.instruction === c.instruction && JSON.stringify(i.demos) === JSON.stringify(demos))
    )
      items.push({ name: `candidate #${c.index}`, instruction: c.instruction, ...withDemos(demos) });
  }
  for (const b of result.baselines ?? [])
    items.push({ name: b.name, instruction: b.instruction, ...withDemos(b.demos ?? fixed) });

  const lock = ledger.acquireRunLock(runId);
  try {
    return await transferRows(ledger, runId, config, items, test, targets, options);
  } finally {
    lock.release();
  }
}

async function transferRows(
  ledger: Ledger,
  runId: string,
  config: RunConfig,
  items: TransferItem[],
  test: Example[],
  targets: readonly string[],
  options: TransferOptions,
): Promise<{ rows: TransferRow[]; stopped?: string }> {
  const stored = ledger.getState<TransferRow[]>(runId, CHECKPOINT_KEYS.transfer) ?? [];
  const rows = [...stored];
  const prices = resolvePrices(undefined, options.env ?? process.env);
  const budget = new RunBudget({ maxCalls: options.maxCalls, maxCost: options.maxCost }, undefined, {
    open: (e) => ledger.openSpend(runId, { ...e, phase: "transfer" }),
    close: (id, paid) => ledger.closeSpend(runId, id, paid && { ...paid, phase: "transfer" }),
    abandon: (id) => ledger.abandonSpend(runId, id),
  });
  budget.phase = "transfer";
  // a dollar cap needs the price of every target: refused before any request (or any black box) is made
  for (const target of targets) budget.admitModel(target, prices);
  const { metric, judge } = await openMetric(config, blackBoxOptionsOf(config), {}, runId);
  const closers: (() => Promise<void>)[] = [];
  if (judge) closers.push(() => judge.blackBox.close());
  try {
    const scorer = judge
      ? createJudgeScorer(
          judge.metric,
          new BudgetedBlackBox(judge.blackBox, budget, { source: "judge", prices }),
        )
      : (metric ?? builtinScorer(config.taskFile || config.examplesHash ? "em" : metricForTask(config.task)));
    for (const target of targets) {
      const inner = createBlackBox(target, { ...blackBoxOptionsOf(config), baseURL: options.baseURL });
      closers.push(() => inner.close());
      const todo = items.filter((item) => !rows.some((r) => r.target === target && r.name === item.name));
      const step = { done: 0, total: todo.length * test.length };
      const report = () => {
        try {
          options.onProgress?.({ target, ...step, spent: budget.spent() });
        } catch {
          // a broken progress display must not break the transfer
        }
      };
      const bb = new BudgetedBlackBox(inner, budget, {
        source: `transfer:${target}`,
        prices,
        onAnswer: () => {
          step.done++;
          report();
        },
      });
      if (todo.length > 0) report();
      for (const item of items) {
        if (rows.some((r) => r.target === target && r.name === item.name)) continue;
        const ev = await evaluateInstruction(bb, item.instruction, test, {
          metric: scorer,
          template: "test",
          split: "test",
          maxTokens: config.maxTokens,
          demos: item.demos ?? [],
          phase: `transfer to ${target}`,
        });
        const ci = testInterval(ev.scores, config.seed, `transfer:${target}:${item.name}`);
        const row: TransferRow = { target, ...item, score: ev.score, low: ci.low, high: ci.high };
        rows.push(row);
        ledger.setState(runId, CHECKPOINT_KEYS.transfer, rows);
        options.onRow?.(row);
      }
    }
    return { rows };
  } catch (err) {
    if (err instanceof BudgetExhausted) return { rows, stopped: budget.finalReason(err.reason) };
    throw err;
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
  }
}
