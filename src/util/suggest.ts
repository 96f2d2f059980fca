/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Up to `n` of `candidates` closest to `name` (case-insensitive), within a distance of max(3, len/3). */
export function closest(name: string, candidates: readonly string[], n = 3): string[] {
  const lower = name.toLowerCase();
  return candidates
    .map((t) => ({ t, d: editDistance(lower, t.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, n)
    .filter((x) => x.d <= Math.max(3, name.length / 3))
    .map((x) => x.t);
}
