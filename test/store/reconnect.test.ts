/**
 * The reconnection window (src/db/reconnect.ts): durations as the CLI and INSTRUCTZERO_RECONNECT_MS
 * take them, which failures are connection losses, and the retry loop that waits them out within the
 * window and gives up past it (or at once on any other failure).
 */
import { afterEach, describe, expect, it } from "vitest";
import { PostgresError } from "../../src/db/postgres.js";
import {
  DEFAULT_RECONNECT_MS,
  isConnectionLoss,
  parseDuration,
  reconnectMs,
  setReconnectMs,
  withReconnect,
} from "../../src/db/reconnect.js";
import { UserError } from "../../src/util/errors.js";

afterEach(() => setReconnectMs(undefined));

describe("parseDuration and the window in force", () => {
  it("reads ms, s, m, h and bare milliseconds; refuses anything else naming the option", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1500")).toBe(1500);
    expect(parseDuration("0")).toBe(0);
    expect(() => parseDuration("five minutes", "--reconnect-for")).toThrow(UserError);
    expect(() => parseDuration("-1s", "--reconnect-for")).toThrow(/--reconnect-for/);
  });

  it("the option wins over INSTRUCTZERO_RECONNECT_MS, which wins over 5 minutes", () => {
    expect(reconnectMs({})).toBe(DEFAULT_RECONNECT_MS);
    expect(reconnectMs({ INSTRUCTZERO_RECONNECT_MS: "2m" })).toBe(120_000);
    setReconnectMs(1234);
    expect(reconnectMs({ INSTRUCTZERO_RECONNECT_MS: "2m" })).toBe(1234);
  });
});

describe("isConnectionLoss", () => {
  it("tells a lost or refused connection from an error of the query", () => {
    expect(isConnectionLoss(new PostgresError("gone", undefined, undefined, true))).toBe(true);
    expect(
      isConnectionLoss(
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
      ),
    ).toBe(true);
    expect(
      isConnectionLoss(
        Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      ),
    ).toBe(true);
    expect(isConnectionLoss(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isConnectionLoss(new PostgresError('relation "x" does not exist', "42P01"))).toBe(false);
    expect(isConnectionLoss(new Error("duplicate key value violates unique constraint"))).toBe(false);
  });
});

describe("withReconnect", () => {
  const lost = () => new PostgresError("the store cannot be reached", undefined, undefined, true);

  it("waits out connection losses within the window, then succeeds", async () => {
    let calls = 0;
    const waits: number[] = [];
    const v = await withReconnect(
      async () => {
        if (++calls < 4) throw lost();
        return "back";
      },
      { windowMs: 60_000, onRetry: (_e, ms) => waits.push(ms) },
    );
    expect(v).toBe("back");
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
    for (const w of waits) expect(w).toBeLessThanOrEqual(5000);
  });

  it("throws any other failure at once, and a loss past the window (0: the first)", async () => {
    let calls = 0;
    await expect(
      withReconnect(async () => {
        calls++;
        throw new Error("syntax error");
      }),
    ).rejects.toThrow("syntax error");
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withReconnect(
        async () => {
          calls++;
          throw lost();
        },
        { windowMs: 0 },
      ),
    ).rejects.toBeInstanceOf(PostgresError);
    expect(calls).toBe(1);
  });

  it("stops waiting when its signal aborts", async () => {
    const controller = new AbortController();
    let calls = 0;
    const p = withReconnect(
      async () => {
        calls++;
        if (calls === 2) controller.abort(new Error("stopping"));
        throw lost();
      },
      { windowMs: 60_000, signal: controller.signal },
    );
    await expect(p).rejects.toThrow();
    expect(calls).toBeLessThanOrEqual(3);
  });
});
