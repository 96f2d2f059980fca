import type { BlackBox, Completion, CompletionRequest, UsageTotals } from "../blackbox/types.js";

/** Thrown when a call would go over `--max-calls` or `--max-cost`. The run stops cleanly. */
export class BudgetExhausted extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "BudgetExhausted";
  }
}

/** Limits on paid black-box usage. */
export interface CallBudget {
  /** Paid (non-cached) completions allowed. */
  maxCalls?: number;
  /** Dollars allowed; checked before each call, so calls already in flight may add a little more. */
  maxCost?: number;
}

/**
 * One budget shared by every black box of a run (the target, the APE proposer, an LLM judge). Calls are
 * reserved before they start and released when they turn out to be cache hits, so with `maxCalls = N`
 * at most N requests are paid, and exactly N when the work needs at least N. A call that cannot get a
 * slot while others are in flight waits for them (one of them may be a cache hit and free its slot).
 */
export class SharedBudget {
  private paid = 0;
  private cost = 0;
  private reserved = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly budget: CallBudget,
    /** Usage already spent before this session (a resumed run). */
    spent: { calls: number; costUsd: number } = { calls: 0, costUsd: 0 },
  ) {
    this.paid = spent.calls;
    this.cost = spent.costUsd;
  }

  /** Paid calls and dollars counted so far (including what was spent before this session). */
  spent(): { calls: number; costUsd: number } {
    return { calls: this.paid, costUsd: this.cost };
  }

  /** Wait for a slot; BudgetExhausted when none will come. */
  async reserve(): Promise<void> {
    const { maxCalls, maxCost } = this.budget;
    for (;;) {
      if (maxCost !== undefined && this.cost >= maxCost) {
        throw new BudgetExhausted(`--max-cost $${maxCost} reached ($${this.cost.toFixed(4)} spent)`);
      }
      if (maxCalls === undefined || this.paid + this.reserved < maxCalls) break;
      if (this.reserved === 0) throw new BudgetExhausted(`--max-calls ${maxCalls} reached`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.reserved++;
  }

  /** Release a slot, counting the call when it was paid. */
  release(result: Completion | undefined): void {
    this.reserved--;
    if (result && !result.cached) {
      this.paid++;
      this.cost += result.costUsd;
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** A black box that refuses to start a paid call beyond its (possibly shared) budget. */
export class BudgetedBlackBox implements BlackBox {
  readonly id: string;
  readonly budget: SharedBudget;

  constructor(
    private readonly inner: BlackBox,
    budget: CallBudget | SharedBudget,
    /** Usage already spent before this session (a resumed run; with a CallBudget only). */
    spent: { calls: number; costUsd: number } = { calls: 0, costUsd: 0 },
  ) {
    this.id = inner.id;
    this.budget = budget instanceof SharedBudget ? budget : new SharedBudget(budget, spent);
  }

  /** Paid calls and dollars counted so far by the budget (all its black boxes). */
  spent(): { calls: number; costUsd: number } {
    return this.budget.spent();
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    await this.budget.reserve();
    let result: Completion | undefined;
    try {
      result = await this.inner.complete(request);
      return result;
    } finally {
      this.budget.release(result);
    }
  }

  totals(): UsageTotals {
    return this.inner.totals();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
