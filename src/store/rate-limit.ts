/**
 * A rate limit shared by every process that uses the same store: requests and tokens per minute per
 * black box (provider:model), as the user's provider account allows (`rateLimitRpm`, `rateLimitTpm`).
 *
 * A sliding-window log in the store's database: one row per request admitted (key, time, tokens).
 * A request is admitted when the window (the last minute) holds fewer than the allowed requests and
 * tokens; else the caller sleeps until enough old rows leave the window. Each decision is one
 * transaction under a lock of its own per key (Postgres: an advisory lock, so workers on every machine
 * take turns; SQLite: BEGIN IMMEDIATE, so processes of one machine do), and times come from the
 * database server's clock on Postgres (machines need not agree on the time).
 *
 * The window is 60 s; INSTRUCTZERO_RATE_WINDOW_MS shortens it (tests), with the allowances scaled to it
 * (120 requests per minute = 10 per 5 s window). A request is admitted at one moment and leaves a
 * little later (the spend log is written first; a busy event loop): its row is stamped again when it
 * leaves (`RateTicket.sent`), and every row stays in the log a guard time longer than the window (a
 * tenth of it, at most 1 s) for the rest of the way to the provider, which then sees at most the
 * allowance in any window, at the price of a slightly lower rate (60 s windows: 1.6%).
 */
import { randomUUID } from "node:crypto";
import type { RateLimiter, RateTicket } from "../blackbox/options.js";
import type { SqlDriver } from "../db/driver.js";

/** The window of the limits [60 s]. */
export const RATE_WINDOW_MS = 60_000;

/** The window in force: INSTRUCTZERO_RATE_WINDOW_MS when set (a positive number of ms), else 60 s. */
export function rateWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.INSTRUCTZERO_RATE_WINDOW_MS);
  return env.INSTRUCTZERO_RATE_WINDOW_MS && Number.isFinite(v) && v > 0 ? v : RATE_WINDOW_MS;
}

/** Limits per minute; either may be absent. */
export interface RateLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (a request counts its prompt, estimated, plus its max answer tokens). */
  tpm?: number;
}

/** The log's table, in the store's dialect (milliseconds need 64 bits). */
function tableSql(db: SqlDriver): string {
  return `CREATE TABLE IF NOT EXISTS rate_limit_events (key TEXT NOT NULL, at_ms ${db.dialect.bigint} NOT NULL, tokens INTEGER NOT NULL, ticket TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rate_limit_events_key ON rate_limit_events (key, at_ms);`;
}

function abortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The limiter over a store (the ledger's database). */
export class StoreRateLimiter implements RateLimiter {
  private ready = false;
  private readonly maxRequests: number;
  private readonly maxTokens: number;
  /** How much longer than the window an admission is remembered (see the module comment). */
  readonly guardMs: number;

  constructor(
    private readonly db: SqlDriver,
    readonly limits: RateLimits,
    readonly windowMs: number = rateWindowMs(),
  ) {
    const scale = windowMs / 60_000;
    this.guardMs = Math.min(windowMs / 10, 1000);
    this.maxRequests =
      limits.rpm === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(limits.rpm * scale));
    this.maxTokens =
      limits.tpm === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(limits.tpm * scale));
  }

  /**
   * Wait until a request of `tokens` tokens to `key` fits in the window, and count it; `sent()` on the
   * ticket stamps it with the moment it leaves.
   */
  async acquire(key: string, tokens: number, signal?: AbortSignal): Promise<RateTicket> {
    const ticket = randomUUID();
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error("aborted");
      const wait = this.tryTake(key, Math.max(0, Math.ceil(tokens)), ticket);
      if (wait <= 0) return { sent: () => this.stamp(key, ticket) };
      await abortable(wait, signal);
    }
  }

  /** A request admitted with `ticket` leaves now: count it from now (never earlier than admitted). */
  private stamp(key: string, ticket: string): void {
    try {
      const clock = this.db.dialect.clockMs;
      if (clock !== undefined) {
        // the server's clock at the moment the row is written
        this.db.run(
          `UPDATE rate_limit_events SET at_ms = ${this.db.dialect.greatestInt("at_ms", clock)} WHERE key = ? AND ticket = ?`,
          [key, ticket],
        );
      } else {
        const now = Date.now();
        this.db.run("UPDATE rate_limit_events SET at_ms = ? WHERE key = ? AND ticket = ? AND at_ms < ?", [
          now,
          key,
          ticket,
          now,
        ]);
      }
    } catch {
      // the admission time stands: the guard covers most of the way
    }
  }

  /** Admit (0) or say how many ms to wait before trying again. */
  tryTake(key: string, tokens: number, ticket: string = randomUUID()): number {
    this.prepare();
    return this.db.transaction(() => {
      const now = this.nowMs();
      const span = this.windowMs + this.guardMs;
      const since = now - span;
      this.db.run("DELETE FROM rate_limit_events WHERE key = ? AND at_ms <= ?", [key, since]);
      const rows = this.db.all<{ at_ms: number; tokens: number }>(
        "SELECT at_ms, tokens FROM rate_limit_events WHERE key = ? ORDER BY at_ms",
        [key],
      );
      let count = rows.length;
      let used = rows.reduce((a, r) => a + Number(r.tokens), 0);
      // a request larger than the whole token allowance goes alone, in an empty window
      const fits = (c: number, u: number) =>
        c + 1 <= this.maxRequests && (u + tokens <= this.maxTokens || c === 0);
      if (fits(count, used)) {
        this.db.run("INSERT INTO rate_limit_events (key, at_ms, tokens, ticket) VALUES (?, ?, ?, ?)", [
          key,
          now,
          tokens,
          ticket,
        ]);
        return 0;
      }
      for (const r of rows) {
        count--;
        used -= Number(r.tokens);
        if (fits(count, used)) return Math.max(1, Number(r.at_ms) + span - now + 1);
      }
      return span;
    }, `instructzero.rate:${key}`);
  }

  /** Requests counted in the current window for `key` (tests, status). */
  inWindow(key: string): number {
    this.prepare();
    return (
      this.db.value<number>("SELECT COUNT(*) FROM rate_limit_events WHERE key = ? AND at_ms > ?", [
        key,
        this.nowMs() - this.windowMs - this.guardMs,
      ]) ?? 0
    );
  }

  private nowMs(): number {
    return this.db.dialect.nowMs(this.db);
  }

  private prepare(): void {
    if (this.ready) return;
    this.db.transaction(() => this.db.exec(tableSql(this.db)), "instructzero.rate");
    this.ready = true;
  }
}
