/**
 * Newcombe's hybrid score interval for the difference of two paired proportions (Newcombe 1998,
 * method 10; recommended by Fagerland, Lydersen and Laake 2014, "Recommended tests and confidence
 * intervals for paired binomial proportions"). Not the one a run uses: its coverage fell to 0.86-0.93
 * at n = 10-20 in our simulations, so comparisons use the Bonett-Price interval (./paired-wald.ts);
 * {@link pairedTable} is shared, and this remains for library users and for comparison.
 *
 * With the 2x2 table of the paired scores (n11: both right, n10: only a right, n01: only b right,
 * n00: neither), p1 = (n11 + n10) / n, p2 = (n11 + n01) / n, Wilson intervals [l1, u1], [l2, u2] at the
 * same level ({@link wilsonInterval}) and phi = (n11 n00 - n10 n01) / sqrt((n11 + n10)(n01 + n00)
 * (n11 + n01)(n10 + n00)) (0 when a margin is empty):
 *   low  = (p1 - p2) - sqrt((p1 - l1)^2 - 2 phi (p1 - l1)(u2 - p2) + (u2 - p2)^2),
 *   high = (p1 - p2) + sqrt((u1 - p1)^2 - 2 phi (u1 - p1)(p2 - l2) + (p2 - l2)^2).
 * Unlike an interval conditional on the discordant pairs (an exact McNemar inversion), it does not
 * collapse to [0, 0] when the two instructions agree on every example of a small test set.
 */
import { wilsonInterval } from "./wilson.js";

/** The paired 2x2 table of 0/1 scores a[i], b[i]. */
export interface PairedTable {
  n11: number;
  n10: number;
  n01: number;
  n00: number;
}

/** Count the paired 0/1 table (throws unless every score is 0 or 1 and the lists pair up). */
export function pairedTable(a: readonly number[], b: readonly number[]): PairedTable {
  if (a.length !== b.length)
    throw new RangeError(`pairedTable: paired lists differ in length (${a.length} vs ${b.length})`);
  const t = { n11: 0, n10: 0, n01: 0, n00: 0 };
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if ((x !== 0 && x !== 1) || (y !== 0 && y !== 1))
      throw new RangeError("pairedTable: scores must all be 0 or 1");
    if (x === 1 && y === 1) t.n11++;
    else if (x === 1) t.n10++;
    else if (y === 1) t.n01++;
    else t.n00++;
  }
  return t;
}

/** Newcombe's hybrid score interval of p1 - p2 for the paired table `t` at `level`, inside [-1, 1]. */
export function newcombePairedInterval(
  t: PairedTable,
  level: number,
): { diff: number; low: number; high: number } {
  const n = t.n11 + t.n10 + t.n01 + t.n00;
  if (n === 0) throw new RangeError("newcombePairedInterval: no examples");
  const k1 = t.n11 + t.n10;
  const k2 = t.n11 + t.n01;
  const p1 = k1 / n;
  const p2 = k2 / n;
  const w1 = wilsonInterval(k1, n, level);
  const w2 = wilsonInterval(k2, n, level);
  const den = (t.n11 + t.n10) * (t.n01 + t.n00) * (t.n11 + t.n01) * (t.n10 + t.n00);
  const phi = den === 0 ? 0 : (t.n11 * t.n00 - t.n10 * t.n01) / Math.sqrt(den);
  const dl1 = p1 - w1.low;
  const du1 = w1.high - p1;
  const dl2 = p2 - w2.low;
  const du2 = w2.high - p2;
  const diff = p1 - p2;
  const low = diff - Math.sqrt(Math.max(0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2));
  const high = diff + Math.sqrt(Math.max(0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2));
  return { diff, low: Math.max(-1, low), high: Math.min(1, high) };
}
