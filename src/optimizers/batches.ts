/**
 * The evaluation schedule shared by every method: an initial batch, then equal batches up to the budget.
 * Defaults are the paper's: 150 = 25 + 5 x 25.
 */
export function batchSizes(budget: number, initialPoints: number, batchSize: number): number[] {
  const sizes: number[] = [];
  let left = budget;
  let first = true;
  while (left > 0) {
    const n = Math.min(first ? initialPoints : batchSize, left);
    if (n <= 0) break;
    sizes.push(n);
    left -= n;
    first = false;
  }
  return sizes;
}
