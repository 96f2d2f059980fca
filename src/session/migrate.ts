/**
 * Migration of a finished run to a new model (`instructzero migrate RUN --to provider:model`,
 * library `migrateRun`). For each new model it is a run like any other, opened and run by RunSession:
 * its configuration is the old run's with the new target, `migratedFrom` (the old run's id), the
 * warm start (`warmStart`: the old run's top soft prompts and their instructions, 20 by default, scored
 * first on the new model, raced (`warmRacing`), so that their scores seed the surrogate of the search
 * that follows; see src/optimizers/soft-prompt/warm-start.ts; its own budget line: the ordinary initial
 * design and the BO batches follow, to the search's budget), `oldCandidates` (the old run's top candidates: its winner, then the rest of its
 * selection's top k; each is scored on the new model's validation set, in the warm start or as an
 * extra candidate, joins the selection's candidates on the selection split and is scored on the test
 * split: src/optimizers/phases/old-candidates.ts), and the old winner added as a baseline, so the new
 * run compares the migrated winner with it like with any baseline.
 * Resume (kill -9 included), money, limits and the dry run are the ordinary run's: running the same
 * migration again continues the same run (same configuration; with other limits, the same run with
 * those limits, as `instructzero resume RUN --max-calls N` would: findMigrationRun).
 *
 * The table a team needs before switching: (old model, old prompt), (new model, old prompt), the old
 * run's other top candidates on the new model, (new model, migrated prompt), with selection and test
 * scores, intervals, dollars per 1,000 queries and latency, and the ship/don't-ship verdict of the
 * migrated prompt against every baseline of the new run.
 */
import { parseRunConfig } from "../config/parse.js";
import type { RunConfig } from "../config/schema.js";
import { loadOutcome } from "../optimizers/outcome.js";
import { topDistinct } from "../optimizers/select.js";
import { shipVerdict } from "../stats/verdict.js";
import { type Ledger, sameRunConfig } from "../store/ledger.js";
import { selectionScoreOf } from "../store/selection-score.js";
import type { EvaluationRecord, RunRecord } from "../store/types.js";
import type { Example } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
import { RunSession, type SessionOptions } from "./run-session.js";

/** What a migration may set besides the new model. */
export interface MigrationSettings {
  /**
   * Evaluations of the new search after the warm start [the old run's search budget]: the warm start
   * is its own budget line, on top (the run's `budget` is this plus the warm start's size).
   */
  budget?: number;
  /** Size of the initial design after the warm start [the old run's]. */
  initialPoints?: number;
  /** Old candidates (best first, distinct instructions, with a soft prompt) that warm-start it [20]. */
  warm?: number;
  /**
   * Race the warm start: each warm candidate is scored block by block and stopped once it is clearly
   * worse than the incumbent (the run's racing rules, racing.ts) [true].
   */
  warmRacing?: boolean;
  /** Limits of the new run. */
  maxCalls?: number;
  maxCost?: number;
  /** OpenAI-compatible server of the new model [the old run's]. */
  baseUrl?: string;
}

/**
 * Default number of warm-start candidates: 20, raced, cost about what 10 fully scored ones do (their
 * validation calls) and give the new search a better start when the models differ (bench:migrate).
 */
export const DEFAULT_WARM = 20;

/** One row of the migration table. */
export interface MigrationRow {
  /**
   * "old model, old prompt", "new model, old prompt", "new model, old candidate 2" ... (the old run's
   * other top candidates), "new model, migrated prompt".
   */
  label: string;
  model: string;
  instruction: string;
  /** Score on that model's selection split (null: not scored there, e.g. the validation rule). */
  selection: number | null;
  /**
   * Selection examples `selection` is the mean over (null with it): under the adaptive post-search the
   * selection race stops a clearly worse candidate after its first looks, so rows may differ.
   */
  selectionN: number | null;
  /** Test score and its 95% interval (null: not scored on test). */
  score: number | null;
  low: number | null;
  high: number | null;
  /** Dollars per 1,000 queries and median latency (ms) of its paid calls, when known. */
  usdPer1k?: number;
  latencyMs?: number;
}

/** The migration to one new model. */
export interface MigrationTable {
  target: string;
  /** The new run's id (`instructzero resume` / `report` it like any run). */
  runId: string;
  status: string;
  /**
   * False until the new run completed: a limit (`stopped`), Ctrl-C or a crash (`interrupted`) left it
   * part done; the rows then hold what was scored so far (null: not yet), and `verdict` says how to go on.
   */
  finished: boolean;
  /** Why a limit stopped it (the run's status message), when it is `stopped`. */
  reason?: string;
  /** Paid black-box calls and dollars of the new run so far, every session (the spend log). */
  calls: number;
  costUsd: number;
  rows: MigrationRow[];
  /**
   * The migrated prompt against every baseline of the new run, the old prompt included; for a run
   * not finished: that it is not, why, how to continue it, and the verdict so far when it has a test.
   */
  verdict: string;
}

/** One of the old run's top candidates: its record and its selection (else validation) score there. */
interface OldCandidate {
  record: EvaluationRecord;
  score: number;
}

/**
 * The old run's choice: its winner; its top candidates (the winner, then the rest of its selection's top
 * k by selection score; a run chosen by the validation rule: its top k distinct by validation score);
 * and the warm start: those of them with a soft prompt, then the other best distinct candidates with one
 * (by validation score), `warm` in all.
 */
function oldChoice(ledger: Ledger, old: RunRecord, warm: number) {
  const result = old.result;
  if (!result || old.status !== "completed")
    throw new UserError(
      `run ${old.id} is not finished (${old.status}): only a completed run can be migrated (instructzero resume ${old.id})`,
    );
  const records = ledger.evaluations(old.id);
  const byIndex = new Map(records.map((r) => [r.index, r]));
  const winner = byIndex.get(result.bestIndex);
  if (!winner) throw new UserError(`run ${old.id} has no winning evaluation ${result.bestIndex}`);
  const fresh = result.selection?.rule === "fresh" ? result.selection.candidates : [];
  const ranked: OldCandidate[] =
    fresh.length > 0
      ? [...fresh]
          .sort((a, b) => b.score - a.score || b.validationScore - a.validationScore || a.index - b.index)
          .map((c) => ({ record: byIndex.get(c.index)!, score: c.score }))
          .filter((c) => c.record !== undefined)
      : topDistinct(scorable(records), old.config.selectionTopK).map((i) => ({
          record: byIndex.get(i)!,
          score: byIndex.get(i)!.score,
        }));
  const winnerScore = fresh.find((c) => c.index === winner.index)?.score ?? winner.score;
  const candidates: OldCandidate[] = [];
  for (const c of [{ record: winner, score: winnerScore }, ...ranked]) {
    if (candidates.length >= Math.max(1, old.config.selectionTopK)) break;
    if (!candidates.some((x) => x.record.instruction === c.record.instruction)) candidates.push(c);
  }
  const seen = new Set<string>();
  const top: EvaluationRecord[] = [];
  const byScore = [...records].sort((a, b) => b.score - a.score || a.index - b.index);
  for (const r of [...candidates.map((c) => c.record), ...byScore]) {
    if (top.length >= warm) break;
    if (r.z === null || r.empty || seen.has(r.instruction)) continue;
    seen.add(r.instruction);
    top.push(r);
  }
  return { winner, candidates, top };
}

/** The records selection chose from: the fully scored ones (racing stops some early), else every non-empty one. */
function scorable(records: readonly EvaluationRecord[]): EvaluationRecord[] {
  const full = records.filter((r) => !r.empty && r.scored === undefined);
  return full.length > 0 ? full : records.filter((r) => !r.empty);
}

/** The configuration of the migration of run `old` to `target` (deterministic: the same migration is the same run). */
export function migrationConfig(
  ledger: Ledger,
  old: RunRecord,
  target: string,
  settings: MigrationSettings = {},
): RunConfig {
  if (!/^[a-z][a-z0-9-]*:.+/i.test(target))
    throw new UserError(
      `--to: ${JSON.stringify(target)} is not a provider:model id (e.g. openai:gpt-4o-mini)`,
    );
  const warmCount = settings.warm ?? DEFAULT_WARM;
  if (!(Number.isInteger(warmCount) && warmCount >= 1))
    throw new UserError(`warm: must be an integer >= 1, got ${warmCount}`);
  const { winner, candidates, top } = oldChoice(ledger, old, warmCount);
  const {
    blackBox: _bb,
    blackBoxId: _id,
    blackBoxModule: _mod,
    maxCalls: _mc,
    maxCost: _mx,
    migratedFrom: _from,
    warmStart: _ws,
    warmRacing: _wr,
    oldCandidates: _oc,
    ...rest
  } = old.config;
  // the old run's search budget (a migrated run's budget holds its own warm start too)
  const budget = settings.budget ?? old.config.budget - (old.config.warmStart?.length ?? 0);
  const config: RunConfig = {
    ...rest,
    target,
    // the warm start on top of the search's budget: its own budget line
    budget: budget + top.length,
    migratedFrom: old.id,
    baselines: old.config.baselines.includes(winner.instruction)
      ? old.config.baselines
      : [...old.config.baselines, winner.instruction],
    ...(settings.initialPoints !== undefined ? { initialPoints: settings.initialPoints } : {}),
    ...(settings.baseUrl !== undefined ? { baseUrl: settings.baseUrl } : {}),
    ...(settings.maxCalls !== undefined ? { maxCalls: settings.maxCalls } : {}),
    ...(settings.maxCost !== undefined ? { maxCost: settings.maxCost } : {}),
  };
  if (top.length > 0) {
    // the warm start is the first batch (raced); the initial design and the BO batches follow
    config.warmStart = top.map((r) => ({ z: [...(r.z as number[])], instruction: r.instruction }));
    if (settings.warmRacing !== false) config.warmRacing = true;
  }
  // the old top candidates outside the warm start (no soft prompt: ape; or --warm below their number)
  // compete as extra candidates, so that each has a record in the new run
  const warmed = new Set(top.map((r) => r.instruction));
  const extra = candidates.map((c) => c.record.instruction).filter((i) => !warmed.has(i));
  if (extra.length > 0) config.initInstructions = [...new Set([...old.config.initInstructions, ...extra])];
  config.oldCandidates = candidates.map((c) => ({
    instruction: c.record.instruction,
    index: c.record.index,
    score: c.score,
  }));
  return config;
}

/**
 * The stored run of the migration `config` (migrationConfig): the run of that very configuration, else
 * one whose configuration differs only in its limits (`maxCalls`, `maxCost`), the first made: running
 * the same migration with a higher (or no) limit continues the run a limit stopped, with the new limits.
 */
export function findMigrationRun(ledger: Ledger, config: RunConfig): string | undefined {
  const exact = ledger.findRunByConfig(config);
  if (exact !== undefined) return exact;
  const wanted = withoutLimits(parseRunConfig(config));
  for (const r of ledger.listRuns()) {
    if (r.target !== config.target || r.task !== config.task || r.method !== config.method) continue;
    const c = ledger.getRun(r.id).config;
    if (c.migratedFrom === config.migratedFrom && sameRunConfig(withoutLimits(c), wanted)) return r.id;
  }
  return undefined;
}

/**
 * Open the run session of the migration `config`: its stored run when there is one (findMigrationRun:
 * one that differs only in its limits continues with this migration's limits, stored as `instructzero
 * resume RUN --max-calls N` stores them; a completed one is only read), else a new run.
 */
export async function openMigrationSession(
  ledger: Ledger,
  config: RunConfig,
  options: Omit<SessionOptions, "store"> & { examples?: Example[] },
): Promise<RunSession> {
  const { examples, ...common } = options;
  const found = ledger.findRunByConfig(config) === undefined ? findMigrationRun(ledger, config) : undefined;
  if (found === undefined)
    return RunSession.open({
      ...common,
      config,
      store: ledger,
      reuse: true,
      ...(examples ? { examples } : {}),
    });
  if (ledger.getRun(found).status === "completed")
    return RunSession.open({ ...common, runId: found, store: ledger, readOnly: true });
  const limits = { maxCalls: config.maxCalls ?? null, maxCost: config.maxCost ?? null };
  return RunSession.open({ ...common, runId: found, store: ledger, limits });
}

function withoutLimits(config: RunConfig): RunConfig {
  const { maxCalls: _calls, maxCost: _cost, ...rest } = config;
  return rest as RunConfig;
}

/** The migration table of the new run `runId` (finished, or stopped / interrupted: what it has so far), migrated from `old`. */
export function migrationTable(ledger: Ledger, old: RunRecord, runId: string): MigrationTable {
  const run = ledger.getRun(runId);
  const oldRecords = ledger.evaluations(old.id);
  const oldWinner = oldRecords.find((r) => r.index === old.result?.bestIndex);
  const oldInstruction = oldWinner?.instruction ?? "";
  const rows: MigrationRow[] = [
    {
      label: "old model, old prompt",
      model: old.config.target,
      instruction: oldInstruction,
      ...selectionScoreOf(old.result?.selection, oldWinner?.index),
      ...testOf(old.result?.test),
      ...cost(oldWinner),
    },
  ];
  const result = run.result;
  const olds = result?.oldCandidates ?? [];
  const oldOnNew = result?.baselines?.find((b) => b.kind === "user" && b.instruction === oldInstruction);
  const oldPrompt = olds.find((c) => c.instruction === oldInstruction);
  rows.push({
    label: "new model, old prompt",
    model: run.config.target,
    instruction: oldInstruction,
    ...selectionScoreOf(result?.selection, oldPrompt?.index),
    ...testOf(oldOnNew?.test),
    ...cost(oldOnNew),
  });
  // the old run's other top candidates on the new model
  for (const c of olds) {
    if (c.instruction === oldInstruction) continue;
    rows.push({
      label: `new model, ${c.name}`,
      model: run.config.target,
      instruction: c.instruction,
      ...selectionScoreOf(result?.selection, c.index),
      ...testOf(c.test),
      ...cost(c),
    });
  }
  const records = ledger.evaluations(runId);
  const newWinner = result ? records.find((r) => r.index === result.bestIndex) : undefined;
  rows.push({
    label: "new model, migrated prompt",
    model: run.config.target,
    instruction: newWinner?.instruction ?? "",
    ...selectionScoreOf(result?.selection, newWinner?.index),
    ...testOf(result?.test),
    ...cost(newWinner),
  });
  const comparisons = (result?.comparisons ?? []).map((c) => ({
    ...c,
    baseline: c.baseline === oldOnNew?.name ? "the old prompt" : c.baseline,
    n: result?.test?.scores.length ?? 0,
  }));
  const finished = run.status === "completed" && result !== null;
  const reason = run.status === "stopped" && run.statusMessage ? run.statusMessage : undefined;
  const shipped = result?.test ? shipVerdict(comparisons).text : undefined;
  const verdict = finished
    ? shipVerdict(comparisons).text
    : `not finished (${run.status}): ${howToContinue(run.status, runId)}${shipped ? `; the verdict so far: ${shipped}` : ""}`;
  // calls and dollars: the run's totals, sums of its spend log over every session
  const { totals } = loadOutcome(ledger, runId);
  return {
    target: run.config.target,
    runId,
    status: run.status,
    finished,
    ...(reason ? { reason } : {}),
    calls: totals.calls,
    costUsd: totals.costUsd,
    rows,
    verdict,
  };
}

/** How to continue a migration that is not finished. */
function howToContinue(status: string, runId: string): string {
  if (status === "stopped")
    return `run the same migration again with a higher --max-calls / --max-cost (or none), or instructzero resume ${runId} --max-calls N`;
  return `run the same migration again, or instructzero resume ${runId}`;
}

function testOf(t: { score: number; low?: number; high?: number } | null | undefined) {
  return { score: t?.score ?? null, low: t?.low ?? null, high: t?.high ?? null };
}

function cost(x: { usdPer1k?: number; latencyMs?: number } | undefined) {
  return {
    ...(x?.usdPer1k !== undefined ? { usdPer1k: x.usdPer1k } : {}),
    ...(x?.latencyMs !== undefined ? { latencyMs: x.latencyMs } : {}),
  };
}
