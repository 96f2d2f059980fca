/**
 * Instruction-level de-duplication of a batch. Many soft prompts generate the same instruction
 * (the reference's main waste: 9-12 distinct instructions per batch of 25), and a distance between
 * soft prompts cannot see that: two points 0.5 apart can fall in the same "instruction cell".
 * The optimiser, which owns the generator, can over-propose (e.g. `propose(history, 3 * q, ...)`
 * in `reference` mode, best EI first), generate each candidate's instruction, and keep the first q
 * candidates whose instruction is new. Pure: keys in, indices out.
 */

/** Which candidates to evaluate, and how many of them carry a new key. */
export interface NovelSelection {
  /** Indices into the candidate list, in candidate order within each group (novel first, then fill). */
  indices: number[];
  /** How many of `indices` (the leading ones) have a key not seen before. */
  novel: number;
}

/**
 * Choose q of m candidates given in preference order, each with a key (e.g. the generated
 * instruction): first the candidates whose key is neither in `seen` nor taken earlier in this
 * batch, in order; then, when fewer than q are new and `fill` is true (default), the remaining
 * candidates in order (duplicates: a cached score, but they still count as evaluated points).
 * Returns at most min(q, m) indices.
 */
export function selectNovel(
  keys: readonly string[],
  q: number,
  seen: Iterable<string> = [],
  fill = true,
): NovelSelection {
  if (!Number.isInteger(q) || q < 0) throw new RangeError(`selectNovel: q = ${q} must be a count`);
  const taken = new Set(seen);
  const indices: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (indices.length < q && !taken.has(keys[i])) {
      taken.add(keys[i]);
      indices.push(i);
    } else rest.push(i);
  }
  const novel = indices.length;
  if (fill) for (const i of rest) if (indices.length < q) indices.push(i);
  return { indices, novel };
}
