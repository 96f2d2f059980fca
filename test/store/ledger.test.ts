import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import {
  defaultLedgerPath,
  LedgerConflictError,
  openLedger,
  RUN_LOCK_STALE_MS,
} from "../../src/store/ledger.js";
import { UserError } from "../../src/util/errors.js";
import { fillRun, makeConfig, makeRecord } from "./synthetic.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "iz-ledger-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fixedClock = () => new Date("2026-11-21T12:00:00.000Z");

/** The UserError thrown by fn (fails the test if none). */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("expected a UserError");
}

describe("openLedger / runs", () => {
  it("creates runs with short readable unique ids and reads them back after reopening", () => {
    const file = join(dir, "sub", "runs.sqlite");
    const ledger = openLedger(file, { now: fixedClock });
    const a = ledger.createRun(makeConfig());
    const b = ledger.createRun(makeConfig());
    const c = ledger.createRun(makeConfig({ task: "/data/my tasks/Word_Sort.csv", method: "uniform" }));
    expect(a).toMatch(/^antonyms-[0-9a-f]{6}$/);
    expect(b).toMatch(/^antonyms-[0-9a-f]{6}$/);
    expect(b).not.toBe(a);
    expect(c).toMatch(/^word-sort-[0-9a-f]{6}$/);
    ledger.close();

    // Same config, same clock, empty file: the same id (derived, not random).
    const other = openLedger(":memory:", { now: fixedClock });
    expect(other.createRun(makeConfig())).toBe(a);
    other.close();

    const again = openLedger(file);
    expect(again.listRuns().map((r) => r.id)).toEqual([a, b, c]);
    const run = again.getRun(c);
    expect(run.config).toEqual(makeConfig({ task: "/data/my tasks/Word_Sort.csv", method: "uniform" }));
    // created, but no process runs it: shown as interrupted (resumable); the stored status is unchanged
    expect(run.status).toBe("interrupted");
    expect(run.createdAt).toBe("2026-11-21T12:00:00.000Z");
    expect(run.result).toBeNull();
    const raw = new Database(file);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
    again.close();
  });

  it("uses INSTRUCTZERO_HOME for the default path", () => {
    expect(defaultLedgerPath({ INSTRUCTZERO_HOME: "/x/y" })).toBe("/x/y/runs.sqlite");
    expect(defaultLedgerPath({})).toMatch(/\.instructzero[/\\]runs\.sqlite$/);
  });

  it("says how to list runs for an unknown id, resolves unique prefixes, rejects ambiguous ones", () => {
    const ledger = openLedger(":memory:");
    const id = ledger.createRun(makeConfig());
    ledger.createRun(makeConfig({ seed: 1 }));
    const err = userError(() => ledger.getRun("nope-123456"));
    expect(err.message).toContain('"nope-123456"');
    expect(err.message).toContain("instructzero runs");
    expect(userError(() => ledger.evaluations("nope")).message).toContain("instructzero runs");
    expect(ledger.getRun(id.slice(0, id.length - 2)).id).toBe(id);
    expect(userError(() => ledger.getRun("antonyms-")).message).toContain("ambiguous");
    ledger.close();
  });

  it("rejects a bad config with a message naming the field", () => {
    const ledger = openLedger(":memory:");
    expect(userError(() => ledger.createRun(makeConfig({ budget: 0 }))).message).toContain('"budget"');
    // the method is checked against the method registry when the configuration is made
    expect(userError(() => makeRunConfig({ task: "antonyms", method: "random" })).message).toContain(
      'unknown method "random"',
    );
    expect(userError(() => ledger.createRun(makeConfig({ task: "" }))).message).toContain('"task"');
    expect(ledger.listRuns()).toEqual([]);
    ledger.close();
  });
});

describe("secrets guard", () => {
  it("refuses key-like values and key-named fields without echoing the secret", () => {
    const ledger = openLedger(":memory:");
    const key = "sk-proj-abcdef0123456789";
    const e1 = userError(() => ledger.createRun(makeConfig({ task: key })));
    expect(e1.message).toContain("config.task");
    expect(e1.message).not.toContain(key);
    // unknown fields are refused by the schema, without echoing their values
    const e2 = userError(() => ledger.createRun(makeConfig({ apiKey: "abc123" })));
    expect(e2.message).toContain('unknown field "apiKey"');
    expect(e2.message).not.toContain("abc123");
    for (const extra of [{ openai_api_key: "x" }, { hfToken: "x" }, { clientSecret: "x" }, { token: "x" }]) {
      expect(() => ledger.createRun(makeConfig(extra))).toThrow(UserError);
    }
    expect(() =>
      ledger.createRun(makeConfig({ target: "openai:gpt-4o", baseUrl: "https://u:pw@h/v1" })),
    ).toThrow(/password/);
    const embedded = "openai:gpt-4o --key=sk-abcdefghijklmnop1234";
    const e3 = userError(() => ledger.createRun(makeConfig({ blackBoxId: embedded })));
    expect(e3.message).toContain("config.blackBoxId contains");
    expect(e3.message).not.toContain("sk-abcdefghijklmnop1234");
    // a secret in a field of the wrong type is not echoed by the schema's message either
    const e4 = userError(() => ledger.createRun(makeConfig({ budget: key as unknown as number })));
    expect(e4.message).toContain('"budget"');
    expect(e4.message).not.toContain(key);
    expect(() =>
      ledger.createRun(makeConfig({ vllmModel: "Authorization: Bearer abcdefghijklmnopqrstuvwxyz" })),
    ).toThrow(/Bearer/);
    expect(ledger.listRuns()).toEqual([]);
    // Count-like and pointer-like names are fine.
    ledger.createRun(
      makeConfig({
        maxTokens: 128,
        nTokens: 5,
        task: "task-sk-like",
        vllmModel: "risk-free",
      }),
    );
    expect(ledger.listRuns()).toHaveLength(1);
    ledger.close();
  });
});

describe("evaluations", () => {
  it("appends in order, is idempotent on identical re-appends and rejects different ones", () => {
    const ledger = openLedger(":memory:");
    const id = ledger.createRun(makeConfig());
    expect(ledger.appendEvaluation(id, makeRecord(1))).toBe(true);
    expect(ledger.appendEvaluation(id, makeRecord(0))).toBe(true);
    expect(ledger.appendEvaluation(id, makeRecord(1))).toBe(false);
    // Accounting differs (replayed from cache): still a no-op, the first record is kept.
    expect(ledger.appendEvaluation(id, makeRecord(1, { calls: 0, cacheHits: 4, costUsd: 0 }))).toBe(false);
    expect(ledger.countEvaluations(id)).toBe(2);
    const evs = ledger.evaluations(id);
    expect(evs.map((e) => e.index)).toEqual([0, 1]);
    expect(evs[1]).toEqual(makeRecord(1));

    expect(() => ledger.appendEvaluation(id, makeRecord(1, { instruction: "Something else." }))).toThrow(
      LedgerConflictError,
    );
    expect(() => ledger.appendEvaluation(id, makeRecord(1, { score: 0.123 }))).toThrow(/different result/);
    expect(ledger.evaluations(id)[1]).toEqual(makeRecord(1));
    ledger.close();
  });

  it("rejects malformed records and keeps runs apart", () => {
    const ledger = openLedger(":memory:");
    const a = ledger.createRun(makeConfig());
    const b = ledger.createRun(makeConfig({ task: "sum" }));
    expect(() => ledger.appendEvaluation(a, makeRecord(0, { outputs: ["only one"] }))).toThrow(/outputs/);
    expect(() => ledger.appendEvaluation(a, makeRecord(0, { score: Number.NaN }))).toThrow(/score/);
    expect(() => ledger.appendEvaluation(a, makeRecord(-1))).toThrow(/index/);
    ledger.appendEvaluation(a, makeRecord(0));
    ledger.appendEvaluation(b, makeRecord(0, { instruction: "Add the numbers." }));
    expect(ledger.evaluations(a)[0].instruction).toContain("antonym");
    expect(ledger.evaluations(b)[0].instruction).toBe("Add the numbers.");
    ledger.close();
  });

  it("rolls back a transaction that throws", () => {
    const ledger = openLedger(":memory:");
    const id = ledger.createRun(makeConfig());
    expect(() =>
      ledger.transaction(() => {
        ledger.appendEvaluation(id, makeRecord(0));
        ledger.setState(id, "gp", { lengthscales: [1, 2] });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(ledger.countEvaluations(id)).toBe(0);
    expect(ledger.getState(id, "gp")).toBeUndefined();
    ledger.close();
  });
});

describe("state, examples, status and result", () => {
  it("stores checkpoints, example sets, status changes and the final result", () => {
    const ledger = openLedger(":memory:");
    const id = fillRun(ledger, 12);
    ledger.setState(id, "pending", { batch: 2, z: [[0.1, -0.2]] });
    ledger.setState(id, "gp", { noise: 0.01 });
    ledger.setState(id, "gp", { noise: 0.02 });
    expect(ledger.getState(id, "pending")).toEqual({ batch: 2, z: [[0.1, -0.2]] });
    expect(ledger.getState<{ noise: number }>(id, "gp")?.noise).toBe(0.02);
    expect(ledger.stateKeys(id)).toEqual(["gp", "pending"]);
    ledger.setState(id, "pending", undefined);
    expect(ledger.getState(id, "pending")).toBeUndefined();

    expect(ledger.getExamples(id, "validation")).toBeNull();
    const val = [
      { input: "hot", answers: ["cold"] },
      { input: "up", answers: ["down"] },
    ];
    ledger.setExamples(id, "validation", val);
    expect(ledger.getExamples(id, "validation")).toEqual(val);

    ledger.setStatus(id, "interrupted", "SIGINT");
    expect(ledger.getRun(id)).toMatchObject({ status: "interrupted", statusMessage: "SIGINT" });
    expect(() => ledger.setStatus(id, "paused" as "stopped")).toThrow(/status/);

    expect(() =>
      ledger.finishRun(id, {
        bestIndex: 99,
        test: null,
        totals: { evaluations: 12, calls: 1, cacheHits: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      }),
    ).toThrow(/99/);
    const best = ledger.evaluations(id).reduce((m, e) => (e.score > m.score ? e : m));
    const totals = {
      evaluations: 12,
      calls: 60,
      cacheHits: 3,
      inputTokens: 999,
      outputTokens: 99,
      costUsd: 0.5,
      wallMs: 1234,
    };
    const test = {
      score: 0.5,
      scores: [1, 0],
      outputs: ["cold", "up"],
      inputs: ["hot", "down"],
      answers: [["cold"], ["up"]],
    };
    ledger.finishRun(id, { bestIndex: best.index, test, totals });
    const run = ledger.getRun(id);
    expect(run.status).toBe("completed");
    expect(run.statusMessage).toBeNull();
    expect(run.finishedAt).not.toBeNull();
    expect(run.result).toEqual({ bestIndex: best.index, test, totals });
    const [summary] = ledger.listRuns();
    expect(summary).toMatchObject({
      id,
      evaluations: 12,
      bestScore: best.score,
      testScore: 0.5,
      costUsd: 0.5,
      calls: 60,
    });
    expect(() => ledger.appendEvaluation(id, makeRecord(12))).toThrow(/completed/);
    ledger.close();
  });

  it("sums cost and calls of an unfinished run", () => {
    const ledger = openLedger(":memory:");
    fillRun(ledger, 3);
    const [s] = ledger.listRuns();
    expect(s.evaluations).toBe(3);
    expect(s.calls).toBe(12);
    expect(s.costUsd).toBeCloseTo(0.0003, 10);
    expect(s.testScore).toBeNull();
    ledger.close();
  });
});

describe("broken ledger files", () => {
  function expectUntouched(file: string, fn: () => unknown, pattern: RegExp): void {
    const before = readFileSync(file);
    const err = userError(fn);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(pattern);
    expect(readFileSync(file).equals(before)).toBe(true);
  }

  it("reports a file that is not SQLite", () => {
    const file = join(dir, "notes.sqlite");
    writeFileSync(file, "these are my notes, not a database\n".repeat(200));
    expectUntouched(file, () => openLedger(file), /not a SQLite database/);
  });

  it("reports a truncated ledger", () => {
    const file = join(dir, "runs.sqlite");
    const ledger = openLedger(file);
    for (let r = 0; r < 3; r++) {
      const id = ledger.createRun(makeConfig({ seed: r }));
      for (let i = 0; i < 60; i++) {
        ledger.appendEvaluation(id, makeRecord(i, { outputs: ["x".repeat(900), "y", "z", "w"] }));
      }
    }
    ledger.close();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    expectUntouched(file, () => openLedger(file), /damaged|truncated/);
  });

  it("reports a ledger of another schema version and a foreign SQLite file", () => {
    const file = join(dir, "runs.sqlite");
    openLedger(file).close();
    const raw = new Database(file);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    raw.close();
    expectUntouched(file, () => openLedger(file), /schema version 99.*newer/);

    const foreign = join(dir, "other.sqlite");
    const db = new Database(foreign);
    db.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
    db.close();
    expectUntouched(foreign, () => openLedger(foreign), /not an instructzero run ledger/);
  });

  it("reports a directory and, with create: false, a missing file", () => {
    expect(userError(() => openLedger(dir)).message).toContain("is a directory");
    const missing = join(dir, "none.sqlite");
    expect(userError(() => openLedger(missing, { create: false })).message).toContain(missing);
  });
});

describe("run lock", () => {
  it("one process per run: a held lock names its holder, a released or dead one is taken over", () => {
    const dir = mkdtempSync(join(tmpdir(), "iz-lock-"));
    const file = join(dir, "runs.sqlite");
    const a = openLedger(file);
    const id = a.createRun(makeConfig());
    const lock = a.acquireRunLock(id);
    expect(a.getRun(id).status).toBe("running");
    const b = openLedger(file);
    const err = userError(() => b.acquireRunLock(id));
    expect(err.name).toBe("RunLockedError");
    expect(err.message).toContain(`process ${process.pid} on ${hostname()}`);
    lock.release();
    lock.release(); // idempotent
    expect(b.getRun(id).status).toBe("interrupted");
    const again = b.acquireRunLock(id);
    again.release();

    // a lock left by a process that died (this host, no such pid) is stale: taken over, run interrupted
    const raw = new Database(file);
    raw
      .prepare("INSERT INTO run_locks VALUES (?, 'x', 999999999, ?, ?, ?)")
      .run(id, hostname(), new Date().toISOString(), new Date().toISOString());
    expect(b.lockHolder(id)?.pid).toBe(999999999);
    expect(b.getRun(id).status).toBe("interrupted");
    expect(b.getRun(id).statusMessage).toContain("999999999");
    b.acquireRunLock(id).release();
    // another host's lock is live while its heartbeat is recent, stale after RUN_LOCK_STALE_MS
    const now = Date.now();
    raw
      .prepare("INSERT INTO run_locks VALUES (?, 'y', 1, 'elsewhere', ?, ?)")
      .run(id, new Date(now).toISOString(), new Date(now).toISOString());
    expect(userError(() => b.acquireRunLock(id)).message).toContain("on elsewhere");
    raw
      .prepare("UPDATE run_locks SET heartbeat_at = ? WHERE run_id = ?")
      .run(new Date(now - RUN_LOCK_STALE_MS - 1000).toISOString(), id);
    b.acquireRunLock(id).release();
    raw.close();
    a.close();
    b.close();
  });

  it("keeps a spend log per run, summed per source and phase", () => {
    const ledger = openLedger(":memory:");
    const id = ledger.createRun(makeConfig());
    ledger.recordSpend(id, {
      phase: "search",
      source: "target",
      inputTokens: 10,
      outputTokens: 2,
      costUsd: 0.001,
    });
    ledger.recordSpend(id, {
      phase: "search",
      source: "target",
      inputTokens: 5,
      outputTokens: 1,
      costUsd: 0.0005,
    });
    ledger.recordSpend(id, {
      phase: "test",
      source: "judge",
      inputTokens: 7,
      outputTokens: 3,
      costUsd: 0.0002,
    });
    expect(ledger.spendBySource(id)).toEqual({
      target: { calls: 2, inputTokens: 15, outputTokens: 3, costUsd: 0.0015, lost: 0 },
      judge: { calls: 1, inputTokens: 7, outputTokens: 3, costUsd: 0.0002, lost: 0 },
    });
    // a request in flight when its process died: pending, then lost (counted at its worst case)
    ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 });
    expect(ledger.spendBySource(id).target.calls).toBe(2);
    expect(ledger.markLostSpend(id)).toBe(1);
    expect(ledger.spendBySource(id).target).toMatchObject({ calls: 3, lost: 1, costUsd: 0.0115 });
    expect(Object.keys(ledger.spendBySource(id, "test"))).toEqual(["judge"]);
    expect(ledger.listRuns()[0]).toMatchObject({ calls: 4 });
    ledger.close();
  });
});
