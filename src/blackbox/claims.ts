/**
 * Identical requests in flight shared across processes: before sending a request the response cache
 * cannot answer, a black box claims its key in the cache's database ({@link ResponseCache.claim}); while
 * another process holds a live claim it waits for that process's answer to appear in the cache instead
 * of paying for it again. Claims carry a lease, renewed while the request is under way, so the claim of
 * a process that died lapses and a waiter takes it over (at once when that process was of this host and
 * is gone, as a run lock is: a resume after kill -9 does not wait); a claim is released once the answer
 * is stored or the request failed (a waiter then sends it itself).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { sleep } from "../util/async/index.js";
import type { ResponseCache } from "./cache.js";

/** How long a claim lasts unless renewed [30 s; INSTRUCTZERO_CLAIM_LEASE_MS]. */
export const DEFAULT_CLAIM_LEASE_MS = 30_000;
/** How often a process waiting on another's claim looks for the answer. */
export const DEFAULT_CLAIM_POLL_MS = 200;

/** The claim lease in force: `option`, else INSTRUCTZERO_CLAIM_LEASE_MS (a positive number), else 30 s. */
export function claimLeaseMs(option: number | undefined, env: NodeJS.ProcessEnv): number {
  if (option !== undefined) return option;
  const v = Number(env.INSTRUCTZERO_CLAIM_LEASE_MS);
  return env.INSTRUCTZERO_CLAIM_LEASE_MS && Number.isFinite(v) && v > 0 ? v : DEFAULT_CLAIM_LEASE_MS;
}

/** What {@link RequestClaims.acquire} came to: the key is ours to send, or its answer is stored. */
export type Acquired = { release(): void } | { answer: NonNullable<ReturnType<ResponseCache["get"]>> };

/** The claims of one black box on one response cache. */
export class RequestClaims {
  /** This black box's name in the claims (host, pid and a random part). */
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  /** Keys claimed and not yet released (their leases are renewed). */
  private readonly held = new Set<string>();
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly cache: ResponseCache,
    private readonly leaseMs: number,
    private readonly pollMs: number,
  ) {}

  /**
   * Claim `key`, or wait while another process holds a live claim on it: the stored answer once it
   * appears, else the claim once it was released or lapsed. After `maxWaitMs` (about the longest the
   * claimant may take with its retries), or when the claims table cannot be used, the request is
   * ours without a claim (it may then be paid twice, never waited on forever). `signal` ends the wait.
   */
  async acquire(key: string, maxWaitMs: number, signal?: AbortSignal): Promise<Acquired> {
    const started = Date.now();
    for (;;) {
      let got: ReturnType<ResponseCache["claim"]>;
      try {
        got = this.cache.claim(key, this.owner, this.leaseMs);
      } catch {
        return { release: () => {} }; // the claims table cannot be used now: send without sharing
      }
      if (got === "answered") {
        const answer = this.cache.get(key);
        if (answer) return { answer };
        continue;
      }
      if (got === "claimed") return this.hold(key);
      // a claimant of this host whose process is gone (killed): take its claim over now
      if (isDeadHere(got.heldBy) && this.takeOver(key, got.heldBy)) return this.hold(key);
      if (Date.now() - started > maxWaitMs) return { release: () => {} };
      if (signal?.aborted) throw signal.reason ?? new Error("aborted");
      await sleep(this.pollMs, signal);
    }
  }

  /** Release every claim still held (the black box is closing). */
  close(): void {
    for (const key of [...this.held]) this.drop(key);
    this.stopRenewal();
  }

  private takeOver(key: string, from: string): boolean {
    try {
      return this.cache.takeOver(key, from, this.owner, this.leaseMs);
    } catch {
      return false;
    }
  }

  private hold(key: string): { release(): void } {
    this.held.add(key);
    this.startRenewal();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.drop(key);
      },
    };
  }

  private drop(key: string): void {
    this.held.delete(key);
    if (this.held.size === 0) this.stopRenewal();
    try {
      this.cache.release(key, this.owner);
    } catch {
      // the lease lapses on its own
    }
  }

  /** Renew the leases of the claims held every third of a lease while any is held. */
  private startRenewal(): void {
    if (this.renewal) return;
    this.renewal = setInterval(
      () => {
        try {
          this.cache.renewClaims(this.owner, this.leaseMs);
        } catch {
          // the database is busy or gone: a lapsed claim only lets another process send too
        }
      },
      Math.max(10, this.leaseMs / 3),
    );
    this.renewal.unref();
  }

  private stopRenewal(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
  }
}

/** True when `owner` (host:pid:...) names a process of this host that no longer exists. */
function isDeadHere(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
