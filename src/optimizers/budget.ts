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
 * A black box that refuses to start a paid call beyond the budget. Calls are reserved before they start
 * and released when they turn out to be cache hits, so with `maxCalls = N` at most N requests are paid,
 * and exactly N when the work needs at least N. A call that cannot get a slot while others are in
 * flight waits for them (one of them may be a cache hit and free its slot).
 */
export class BudgetedBlackBox implements BlackBox {
  readonly id: string;
  private paid = 0;
  private cost = 0;
  private reserved = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly inner: BlackBox,
    private readonly budget: CallBudget,
    /** Usage already spent before this session (a resumed run). */
    spent: { calls: number; costUsd: number } = { calls: 0, costUsd: 0 },
  ) {
    this.id = inner.id;
    this.paid = spent.calls;
    this.cost = spent.costUsd;
  }

  /** Paid calls and dollars counted so far (including what was spent before this session). */
  spent(): { calls: number; costUsd: number } {
    return { calls: this.paid, costUsd: this.cost };
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    await this.reserve();
    let result: Completion | undefined;
    try {
      result = await this.inner.complete(request);
      return result;
    } finally {
      this.reserved--;
      if (result && !result.cached) {
        this.paid++;
        this.cost += result.costUsd;
      }
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  private async reserve(): Promise<void> {
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

  totals(): UsageTotals {
    return this.inner.totals();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
