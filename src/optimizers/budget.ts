/**
 * A run's spending limits, held exactly. Every paid request of a run (the black box, the APE proposer,
 * an LLM judge; search and test phases) goes through one {@link RunBudget}, and so does every ATTEMPT of
 * it (a retry after a timeout is paid again: the provider may have processed the abandoned one): an
 * attempt is admitted only when its worst case fits in what is left (prompt tokens bounded by the
 * prompt's UTF-8 bytes, plus its max answer tokens, at the model's price), counting what is already spent
 * and what attempts in flight may still cost. An attempt that does not fit waits for those in flight
 * (they usually cost less than their worst case); when nothing is in flight and it still does not fit,
 * the run stops cleanly. Every attempt is written to the ledger's spend log before it is sent (at its
 * worst case) and settled with what the provider reports (an answer: its usage; an attempt abandoned at
 * the timeout: still its worst case; an error answer: nothing), so totals, limits and resumes all read
 * the same numbers. Once the settled total is over the cap (a provider that bills more than a request's
 * worst case), nothing more is admitted.
 */
import { estimateCost, type PriceTable } from "../blackbox/pricing.js";
import type {
  AdmittedAttempt,
  AttemptGate,
  BlackBox,
  Completion,
  CompletionRequest,
  Usage,
  UsageTotals,
} from "../blackbox/types.js";
import type { SpendEntry } from "../store/ledger.js";
import { sharedAbortController } from "../util/async/signal.js";
import { InstructZeroError, UserError } from "../util/errors.js";
import { fmtUsd } from "../util/format.js";

/**
 * Where a budget logs attempts: before sending (pending, at the worst case), then settled: paid (the
 * provider's usage), nothing billed (`close(id, null)`: the entry goes), or abandoned (kept at its worst
 * case: the provider may have billed it).
 */
export interface SpendLog {
  open(entry: { phase: string; source: string; worstCostUsd: number }): number;
  close(id: number, paid: SpendEntry | null): void;
  abandon(id: number): void;
}

/** Thrown when a call would go over `--max-calls` or `--max-cost`. The run stops cleanly. */
export class BudgetExhausted extends InstructZeroError {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "BudgetExhausted";
  }
}

/** Thrown instead of starting a request once the run was interrupted in a phase that stops at once. */
export class RunInterrupted extends InstructZeroError {
  constructor() {
    super("interrupted by the user");
    this.name = "RunInterrupted";
  }
}

/** Limits on paid usage (the whole run: search, test, judge, proposals). */
export interface CallBudget {
  /** Paid (non-cached) requests allowed. */
  maxCalls?: number;
  /** Dollars allowed. */
  maxCost?: number;
}

/** Tokens a chat request adds around the prompt (role markers, formatting), as a safe margin. */
const TEMPLATE_TOKENS = 16;
/** Answer tokens assumed when a request sets no limit (providers' own caps are around this). */
const DEFAULT_WORST_ANSWER_TOKENS = 4096;

/**
 * An upper bound on the dollars one request to `modelId` can cost: every UTF-8 byte of the prompt (and
 * system message) counted as a token (a byte-level tokenizer never makes more), plus a template margin,
 * plus its max answer tokens; each scaled by `overrun` when a provider was seen billing more tokens than
 * that (answers beyond their max tokens). 0 for free (local) models; null when the model has no price.
 */
export function worstCaseCost(
  modelId: string,
  request: CompletionRequest,
  prices?: PriceTable,
  overrun: Overrun = { input: 1, output: 1 },
): number | null {
  const bytes = Buffer.byteLength(request.prompt, "utf8") + Buffer.byteLength(request.system ?? "", "utf8");
  const est = estimateCost(
    modelId,
    {
      inputTokens: Math.ceil((bytes + TEMPLATE_TOKENS) * overrun.input),
      outputTokens: Math.ceil((request.maxTokens ?? DEFAULT_WORST_ANSWER_TOKENS) * overrun.output),
    },
    prices,
  );
  return est.priced ? est.costUsd : null;
}

/** How many times a request's bound on input and answer tokens a provider was seen billing (>= 1 each). */
export interface Overrun {
  input: number;
  output: number;
}

/**
 * The rule "a cap needs a price": under a dollar limit every model paid for must have a price (else its
 * requests could not be bounded). A UserError naming the model and INSTRUCTZERO_PRICES otherwise, before
 * anything is sent. Models whose answers carry their own cost (`selfPriced`: function black boxes) and
 * free (local) models are exempt.
 */
export function requirePrice(modelId: string, prices?: PriceTable, selfPriced = false): void {
  if (selfPriced || estimateCost(modelId, { inputTokens: 1, outputTokens: 1 }, prices).priced) return;
  throw new UserError(
    `--max-cost needs the price of ${modelId}, which is not in the built-in price table: give it in a JSON file ` +
      `named by INSTRUCTZERO_PRICES, e.g. {"${modelId}": {"input": 0.15, "output": 0.6}} (USD per million tokens)`,
  );
}

/** What a run spent before this session (from the ledger's spend log). */
export interface Spent {
  calls: number;
  costUsd: number;
}

/** The run's one budget; see the module comment. */
export class RunBudget {
  /** Phase recorded with each paid request ("search", "test"). */
  phase = "search";
  private paid: number;
  private cost: number;
  private reservedCalls = 0;
  private reservedCost = 0;
  private kept = { calls: 0, costUsd: 0 };
  private readonly stop = sharedAbortController();
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly limits: CallBudget,
    spent: Spent = { calls: 0, costUsd: 0 },
    /** The spend log: every admitted request is written before it is sent, and settled after. */
    private readonly log?: SpendLog,
    /** Checked before every admission: throws when the run's lock was lost (another process took it over). */
    private readonly fence?: { check(): void },
  ) {
    this.paid = spent.calls;
    this.cost = spent.costUsd;
  }

  /** Paid requests and dollars so far, all sessions together. */
  spent(): Spent {
    return { calls: this.paid, costUsd: this.cost };
  }

  /**
   * Keep `calls` and `costUsd` back (for a later phase, e.g. the test) until {@link release}, when the
   * limits leave room for that and more; returns false (and keeps nothing) when they do not.
   */
  keep(calls: number, costUsd: number): boolean {
    const { maxCalls, maxCost } = this.limits;
    if (maxCalls !== undefined && this.paid + calls >= maxCalls) return false;
    if (maxCost !== undefined && this.cost + costUsd >= maxCost) return false;
    this.kept = { calls, costUsd };
    return true;
  }

  /** Give back what {@link keep} held. */
  release(): void {
    this.kept = { calls: 0, costUsd: 0 };
    this.wake();
  }

  /** From now on, refuse to start requests (RunInterrupted), queued ones included; requests under way finish. */
  interrupt(): void {
    if (!this.stop.signal.aborted) this.stop.abort(new RunInterrupted());
    this.wake();
  }

  /** Aborted by {@link interrupt}: black boxes drop the requests still queued. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /**
   * Admit `modelId` as a model this budget pays for: under a dollar limit it needs a price (see
   * {@link requirePrice}); a UserError before any request otherwise. Every budgeted black box is admitted
   * so when it is made.
   */
  admitModel(modelId: string, prices?: PriceTable, selfPriced = false): void {
    if (this.limits.maxCost !== undefined) requirePrice(modelId, prices, selfPriced);
  }

  /**
   * Wait until an attempt of worst-case cost `worstUsd` fits and reserve it; BudgetExhausted if it never
   * will (also at once once the settled total is over the dollar cap).
   */
  async admit(worstUsd: number): Promise<void> {
    const { maxCalls, maxCost } = this.limits;
    for (;;) {
      this.fence?.check();
      if (this.stop.signal.aborted) throw new RunInterrupted();
      // the provider billed more than the worst cases admitted (answers beyond their max tokens): stop now
      if (maxCost !== undefined && this.cost > maxCost + 1e-12)
        throw new BudgetExhausted(this.exhausted(worstUsd, true));
      const callsOk = maxCalls === undefined || this.paid + this.reservedCalls + this.kept.calls < maxCalls;
      const costOk =
        maxCost === undefined ||
        this.cost + this.reservedCost + this.kept.costUsd + worstUsd <= maxCost + 1e-12;
      if (callsOk && costOk) break;
      if (this.reservedCalls === 0) throw new BudgetExhausted(this.exhausted(worstUsd, callsOk));
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.reservedCalls++;
    this.reservedCost += worstUsd;
  }

  /**
   * Admit one attempt of worst-case cost `worstUsd` (see {@link admit}) for `source`; the returned attempt
   * is logged when sent and settled once: answered (the provider's usage and dollars; `onAnswered` sees
   * the dollars), unbilled (an error answer: nothing counted), or abandoned (counted at `worstUsd`).
   */
  async admitAttempt(
    worstUsd: number,
    source: string,
    onAnswered?: (usage: Usage, costUsd: number) => void,
  ): Promise<AdmittedAttempt> {
    await this.admit(worstUsd);
    let logId: number | undefined;
    let settled = false;
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      this.reservedCalls--;
      this.reservedCost -= worstUsd;
      return true;
    };
    return {
      sent: () => {
        if (!settled) logId ??= this.logSent(worstUsd, source);
      },
      answered: (usage, costUsd) => {
        if (!end()) return;
        this.paid++;
        this.cost += costUsd;
        onAnswered?.(usage, costUsd);
        const entry: SpendEntry = {
          phase: this.phase,
          source,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          costUsd,
        };
        if (logId !== undefined) this.log?.close(logId, entry);
        else if (this.log)
          this.log.close(this.log.open({ phase: this.phase, source, worstCostUsd: 0 }), entry);
        this.wake();
      },
      unbilled: () => {
        if (!end()) return;
        if (logId !== undefined) this.log?.close(logId, null);
        this.wake();
      },
      abandoned: () => {
        if (!end()) return;
        this.paid++;
        this.cost += worstUsd;
        if (this.log)
          this.log.abandon(logId ?? this.log.open({ phase: this.phase, source, worstCostUsd: worstUsd }));
        this.wake();
      },
    };
  }

  /**
   * The run's stop message `reason` (a limit's, given when it stopped) completed with the true figure at
   * the end: what the run spent in all, and by how much the provider's bills went over the cap when they
   * did (answers beyond their max tokens). Undefined when there is no reason.
   */
  finalReason(reason: string | undefined): string | undefined {
    if (reason === undefined) return undefined;
    const { maxCost } = this.limits;
    if (maxCost === undefined) return `${reason}; ${this.paid} paid calls in all`;
    const over = this.cost - maxCost;
    return `${reason}; ${fmtUsd(this.cost)} spent in all (${this.paid} paid calls)${
      over > 1e-12
        ? `, ${fmtUsd(over)} over the cap: the provider billed more than the worst case of its requests (answers beyond their max tokens)`
        : ""
    }`;
  }

  /** Log a request as pending (at its worst case) the moment it is sent; returns the id for {@link settle}. */
  logSent(worstUsd: number, source: string): number | undefined {
    return this.log?.open({ phase: this.phase, source, worstCostUsd: worstUsd });
  }

  /**
   * Release a reservation of `worstUsd`, counting (and logging) the request when it was paid
   * (`unreserved`: a request that was never admitted, e.g. expected from the cache).
   */
  settle(
    worstUsd: number,
    result: Completion | undefined,
    source: string,
    logId: number | undefined,
    unreserved = false,
  ): void {
    if (!unreserved) {
      this.reservedCalls--;
      this.reservedCost -= worstUsd;
    }
    const paid = result && !result.cached;
    if (paid) {
      this.paid++;
      this.cost += result.costUsd;
    }
    const entry = paid
      ? {
          phase: this.phase,
          source,
          inputTokens: result.usage.inputTokens,
          outputTokens: result.usage.outputTokens,
          costUsd: result.costUsd,
        }
      : null;
    if (logId !== undefined) this.log?.close(logId, entry);
    else if (entry && this.log)
      this.log.close(this.log.open({ phase: this.phase, source, worstCostUsd: 0 }), entry);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Wait until no admitted attempt is under way (each answered, unbilled or abandoned, its spend-log row
   * settled). A search stopped by a limit leaves the requests of its other candidates in flight: the run
   * waits for them before it goes on, so that none stays `pending` in the spend log (issue 21).
   */
  async drain(): Promise<void> {
    while (this.reservedCalls > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private exhausted(worstUsd: number, callsOk: boolean): string {
    const { maxCalls, maxCost } = this.limits;
    const later =
      this.kept.calls > 0 || this.kept.costUsd > 0 ? " (the rest is kept for the test phase)" : "";
    if (!callsOk) return `--max-calls ${maxCalls} reached (${this.paid} paid calls${later})`;
    if (maxCost !== undefined && this.cost > maxCost + 1e-12)
      return `--max-cost ${fmtUsd(maxCost)} reached (${fmtUsd(this.cost)} spent: over the cap)`;
    return `--max-cost ${fmtUsd(maxCost)} reached (${fmtUsd(this.cost)} spent; the next call could cost up to ${fmtUsd(worstUsd)}${later})`;
  }
}

/** Options of a {@link BudgetedBlackBox}. */
export interface BudgetedOptions {
  /** What the spend log calls this black box: "target", "proposer", "judge". */
  source: string;
  /** Price overrides (the worst case of a request is priced with them). */
  prices?: PriceTable;
  /**
   * Fraction of the table price this black box pays (provider batch APIs: `batchPriceFactor`), applied to
   * worst cases [the inner black box's `priceFactor` when it has one (a batch black box), else 1].
   */
  priceFactor?: number;
  /** Called after each answered query, cache hits included (a phase's progress). */
  onAnswer?: () => void;
}

/**
 * A black box whose every request goes through the run's budget: each attempt admitted at its worst-case
 * cost, counted when it ends (see {@link RunBudget.admitAttempt}). Under a dollar cap a model needs a
 * price (a UserError when it is made otherwise); a black box whose answers carry their own cost (a
 * function black box) is admitted at the highest cost it has reported so far. When the provider bills
 * more than a request's worst case (answers beyond their max tokens), later worst cases are scaled by
 * the largest such ratio seen.
 */
export class BudgetedBlackBox implements BlackBox {
  readonly id: string;
  readonly budget: RunBudget;
  private highestSeen = 0;
  /** The largest ratios of billed tokens to a request's bounds seen so far (at least 1). */
  private readonly overrun: Overrun = { input: 1, output: 1 };
  private readonly priceFactor: number;

  constructor(
    private readonly inner: BlackBox,
    budget: CallBudget | RunBudget,
    private readonly options: BudgetedOptions = { source: "target" },
  ) {
    this.id = inner.id;
    this.budget = budget instanceof RunBudget ? budget : new RunBudget(budget);
    // a dollar cap needs a price: refused now, before any request
    this.budget.admitModel(inner.id, options.prices, inner.selfPriced === true);
    const innerFactor = (inner as { priceFactor?: unknown }).priceFactor;
    this.priceFactor = options.priceFactor ?? (typeof innerFactor === "number" ? innerFactor : 1);
  }

  /** Paid calls and dollars counted so far by the budget (all its black boxes). */
  spent(): Spent {
    return this.budget.spent();
  }

  /**
   * The admission cost of `request`: its worst case (scaled by the provider's largest overrun seen), or
   * the highest cost seen for unpriced models.
   */
  worstCase(request: CompletionRequest): number {
    const worst = worstCaseCost(this.id, request, this.options.prices, this.overrun);
    return worst === null ? this.highestSeen : worst * this.priceFactor;
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const c = await this.completeOnce(request);
    try {
      this.options.onAnswer?.();
    } catch {
      // a broken progress display must not break a run
    }
    return c;
  }

  private async completeOnce(request: CompletionRequest): Promise<Completion> {
    // an answer already in the response cache costs nothing: no admission needed
    if (this.inner.isCached?.(request)) {
      const hit = await this.inner.complete(request);
      if (hit.cached) return hit;
      // evicted meanwhile (another process): it was paid now, so count it
      this.budget.settle(0, hit, this.options.source, undefined, true);
      return hit;
    }
    const gate: AttemptGate = {
      admit: () =>
        this.budget.admitAttempt(this.worstCase(request), this.options.source, (usage, costUsd) =>
          this.observe(request, usage, costUsd),
        ),
    };
    if (this.inner.admitsAttempts)
      return this.inner.complete(request, { signal: this.budget.signal, attempts: gate });
    // a black box that does not admit its attempts itself: the call is admitted once, around it
    const attempt = await gate.admit();
    let result: Completion;
    try {
      result = await this.inner.complete(request, {
        signal: this.budget.signal,
        // logged when actually sent (not while queued), so a crash counts only requests that went out
        onSend: () => attempt.sent(),
      });
    } catch (err) {
      attempt.unbilled();
      throw err;
    }
    if (result.cached) attempt.unbilled();
    else attempt.answered(result.usage, result.costUsd);
    return result;
  }

  totals(): UsageTotals {
    return this.inner.totals();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Learn from an answer: the highest cost seen, and tokens billed beyond the request's bounds. */
  private observe(request: CompletionRequest, usage: Usage, costUsd: number): void {
    this.highestSeen = Math.max(this.highestSeen, costUsd);
    const bytes = Buffer.byteLength(request.prompt, "utf8") + Buffer.byteLength(request.system ?? "", "utf8");
    const maxTokens = request.maxTokens ?? DEFAULT_WORST_ANSWER_TOKENS;
    this.overrun.input = Math.max(this.overrun.input, usage.inputTokens / (bytes + TEMPLATE_TOKENS));
    this.overrun.output = Math.max(this.overrun.output, usage.outputTokens / maxTokens);
  }
}
