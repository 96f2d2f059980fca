/** The search phase: the method proposes and scores candidates until its budget of evaluations. */
import { BudgetExhausted } from "../budget.js";
import type { SearchMethod } from "../methods/index.js";
import type { MethodContext } from "../types.js";

/** Run the method's search; returns why a limit stopped it (undefined when it ran to its budget). */
export async function runSearch(method: SearchMethod, ctx: MethodContext): Promise<string | undefined> {
  try {
    await method.run(ctx);
    return undefined;
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    return err.reason;
  }
}
