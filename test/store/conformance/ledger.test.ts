/**
 * The run ledger's behaviours, on every store backend (./backends.ts): runs, evaluations, checkpoints,
 * examples, status and result, the secrets guard, the run lock, the spend log, the schema version and
 * the 1 -> 2 migration, several writers at once, and a writer killed with SIGKILL keeps every row it
 * committed. Backend-specific behaviours (SQLite's damaged files and WAL; Postgres' placeholders) are
 * in test/store/ledger.test.ts and test/postgres. When Postgres cannot start, these tests fail saying why.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRunConfig } from "../../../src/optimizers/run-config.js";
import {
  LEDGER_SCHEMA_VERSION,
  LedgerConflictError,
  LockLostError,
  openLedger,
  RUN_LOCK_STALE_MS,
} from "../../../src/store/ledger.js";
import { deleteRuns, matchingRuns } from "../../../src/store/queries.js";
import { UserError } from "../../../src/util/errors.js";
import { fillRun, makeConfig, makeRecord } from "../synthetic.js";
import { storeBackends } from "./backends.js";

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

describe.each(storeBackends())("ledger on $name", (backend) => {
  beforeAll(() => backend.start());
  afterAll(() => backend.stop());

  it("creates runs with short readable unique ids, finds them, and reads them back from a new connection", async () => {
    const location = await backend.fresh("basics");
    const ledger = openLedger(location, { now: fixedClock });
    expect(ledger.dialect).toBe(backend.name);
    expect(ledger.path).not.toContain("s3cret-pw");
    if (backend.name === "postgres") expect(ledger.path).toContain("***@127.0.0.1");
    const a = ledger.createRun(makeConfig());
    const b = ledger.createRun(makeConfig());
    const c = ledger.createRun(makeConfig({ task: "/data/my tasks/Word_Sort.csv", method: "uniform" }));
    expect(a).toMatch(/^antonyms-[0-9a-f]{6}$/);
    expect(b).toMatch(/^antonyms-[0-9a-f]{6}$/);
    expect(b).not.toBe(a);
    expect(c).toMatch(/^word-sort-[0-9a-f]{6}$/);
    expect(ledger.getRun(a.slice(0, -1)).id).toBe(a);
    const d = ledger.createRun(makeConfig({ seed: 1 }));
    expect(ledger.findRunByConfig(makeConfig({ seed: 1 }))).toBe(d);
    expect(ledger.findOrCreateRun(makeConfig({ seed: 1 }))).toEqual({ id: d, created: false });
    expect(ledger.findOrCreateRun(makeConfig({ seed: 2 })).created).toBe(true);
    ledger.appendEvaluation(a, makeRecord(0));
    ledger.appendEvaluation(a, makeRecord(1));
    ledger.close();

    // Same config, same clock, empty store: the same id (derived, not random).
    const other = openLedger(await backend.fresh("basics-other"), { now: fixedClock });
    expect(other.createRun(makeConfig())).toBe(a);
    other.close();

    const again = openLedger(location, { create: false });
    expect(
      again
        .listRuns()
        .map((r) => r.id)
        .slice(0, 3),
    ).toEqual([a, b, c]);
    expect(again.listRuns()).toHaveLength(5);
    const run = again.getRun(c);
    expect(run.config).toEqual(makeConfig({ task: "/data/my tasks/Word_Sort.csv", method: "uniform" }));
    // created, but no process runs it: shown as interrupted (resumable); the stored status is unchanged
    expect(run.status).toBe("interrupted");
    expect(run.createdAt).toBe("2026-11-21T12:00:00.000Z");
    expect(run.result).toBeNull();
    expect(again.evaluations(a)).toHaveLength(2);
    again.close();
    const [meta] = await backend.sql<{ value: string }>(
      location,
      "SELECT value FROM meta WHERE key = 'schema_version'",
    );
    expect(Number(meta.value)).toBe(LEDGER_SCHEMA_VERSION);
  });

  it("says how to list runs for an unknown id, resolves unique prefixes, rejects ambiguous ones", async () => {
    const ledger = openLedger(await backend.fresh("ids"));
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

  it("rejects a bad config with a message naming the field", async () => {
    const ledger = openLedger(await backend.fresh("badconfig"));
    expect(userError(() => ledger.createRun(makeConfig({ budget: 0 }))).message).toContain('"budget"');
    // the method is checked against the method registry when the configuration is made
    expect(userError(() => makeRunConfig({ task: "antonyms", method: "random" })).message).toContain(
      'unknown method "random"',
    );
    expect(userError(() => ledger.createRun(makeConfig({ task: "" }))).message).toContain('"task"');
    expect(ledger.listRuns()).toEqual([]);
    ledger.close();
  });

  it("refuses key-like values and key-named fields without echoing the secret", async () => {
    const location = await backend.fresh("secrets");
    const ledger = openLedger(location);
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
    // a store URL with its password (e.g. given as the cache) is refused too
    expect(() => ledger.createRun(makeConfig({ cache: "postgres://u:s3cret-pw@h:5432/db" }))).toThrow(
      /password/,
    );
    if (backend.name === "postgres")
      expect(() => ledger.createRun(makeConfig({ cache: location }))).toThrow(/password/);
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
      makeConfig({ maxTokens: 128, nTokens: 5, task: "task-sk-like", vllmModel: "risk-free" }),
    );
    expect(ledger.listRuns()).toHaveLength(1);
    ledger.close();
  });

  it("appends evaluations in any order, is idempotent on identical re-appends and rejects different ones", async () => {
    const ledger = openLedger(await backend.fresh("evals"));
    const id = ledger.createRun(makeConfig());
    expect(ledger.appendEvaluation(id, makeRecord(1))).toBe(true);
    expect(ledger.appendEvaluation(id, makeRecord(0))).toBe(true);
    expect(ledger.appendEvaluation(id, makeRecord(1))).toBe(false);
    // Accounting differs (replayed from cache): still a no-op, the first record is kept.
    expect(ledger.appendEvaluation(id, makeRecord(1, { calls: 0, cacheHits: 4, costUsd: 0 }))).toBe(false);
    expect(ledger.countEvaluations(id)).toBe(2);
    const evs = ledger.evaluations(id);
    expect(evs.map((e) => e.index)).toEqual([0, 1]);
    expect(evs).toEqual([makeRecord(0), makeRecord(1)]);

    expect(() => ledger.appendEvaluation(id, makeRecord(1, { instruction: "Something else." }))).toThrow(
      LedgerConflictError,
    );
    expect(() => ledger.appendEvaluation(id, makeRecord(1, { score: 0.123 }))).toThrow(/different result/);
    expect(ledger.evaluations(id)[1]).toEqual(makeRecord(1));
    ledger.close();
  });

  it("rejects malformed records and keeps runs apart", async () => {
    const ledger = openLedger(await backend.fresh("apart"));
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

  it("rolls back a transaction that throws; nested transactions are savepoints", async () => {
    const ledger = openLedger(await backend.fresh("tx"));
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
    ledger.transaction(() => {
      ledger.setState(id, "outer", 1);
      expect(() =>
        ledger.transaction(() => {
          ledger.setState(id, "inner", 2);
          throw new Error("inner");
        }),
      ).toThrow("inner");
    });
    expect(ledger.stateKeys(id)).toEqual(["outer"]);
    ledger.close();
  });

  it("stores checkpoints, example sets, task examples, status changes, limits and the final result", async () => {
    const ledger = openLedger(await backend.fresh("state"));
    const id = fillRun(ledger, 12);
    ledger.setState(id, "pending", { batch: 2, z: [[0.1, -0.2]] });
    ledger.setState(id, "gp", { noise: 0.01 });
    ledger.setState(id, "gp", { noise: 0.02 });
    expect(ledger.getState(id, "pending")).toEqual({ batch: 2, z: [[0.1, -0.2]] });
    expect(ledger.getState<{ noise: number }>(id, "gp")?.noise).toBe(0.02);
    expect(ledger.stateKeys(id)).toEqual(["gp", "pending"]);
    ledger.setState(id, "pending", { batch: 3 });
    expect(ledger.getState(id, "pending")).toEqual({ batch: 3 });
    ledger.setState(id, "pending", undefined);
    expect(ledger.getState(id, "pending")).toBeUndefined();

    expect(ledger.getExamples(id, "validation")).toBeNull();
    const val = [
      { input: "hot", answers: ["cold"] },
      { input: "up", answers: ["down"] },
    ];
    ledger.setExamples(id, "validation", val);
    expect(ledger.getExamples(id, "validation")).toEqual(val);
    expect(ledger.getTaskExamples(id)).toBeNull();
    ledger.setTaskExamples(id, "f".repeat(64), [{ input: "x", answers: ["y"] }]);
    ledger.setTaskExamples(id, "f".repeat(64), [{ input: "x", answers: ["y"] }]);
    expect(ledger.getTaskExamples(id)).toEqual({
      sha256: "f".repeat(64),
      examples: [{ input: "x", answers: ["y"] }],
    });
    expect(() => ledger.setTaskExamples(id, "e".repeat(64), [])).toThrow(LedgerConflictError);

    ledger.setStatus(id, "interrupted", "SIGINT");
    expect(ledger.getRun(id)).toMatchObject({ status: "interrupted", statusMessage: "SIGINT" });
    ledger.setStatus(id, "stopped", "budget");
    expect(ledger.getRun(id)).toMatchObject({ status: "stopped", statusMessage: "budget" });
    expect(() => ledger.setStatus(id, "paused" as "stopped")).toThrow(/status/);
    ledger.updateLimits(id, { maxCalls: 7 });
    expect(ledger.getRun(id).config.maxCalls).toBe(7);
    ledger.updateLimits(id, { maxCalls: null });
    expect(ledger.getRun(id).config.maxCalls).toBeUndefined();

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

  it("sums cost and calls of an unfinished run", async () => {
    const ledger = openLedger(await backend.fresh("unfinished"));
    fillRun(ledger, 3);
    const [s] = ledger.listRuns();
    expect(s.evaluations).toBe(3);
    expect(s.calls).toBe(12);
    expect(s.costUsd).toBeCloseTo(0.0003, 10);
    expect(s.testScore).toBeNull();
    ledger.close();
  });

  it("gives back text holding NUL characters exactly as stored", async () => {
    const ledger = openLedger(await backend.fresh("nul"));
    const id = ledger.createRun(makeConfig());
    const odd = "a\u0000b \uE000 c\uE0000\u0000";
    ledger.appendEvaluation(id, makeRecord(0, { instruction: odd, outputs: [odd, "x", "y", "z"] }));
    expect(ledger.evaluations(id)[0].instruction).toBe(odd);
    expect(ledger.evaluations(id)[0].outputs[0]).toBe(odd);
    ledger.setState(id, odd, odd);
    expect(ledger.getState(id, odd)).toBe(odd);
    expect(ledger.stateKeys(id)).toEqual([odd]);
    ledger.close();
  });

  it("keeps a spend log per run with exact sums, pending and lost requests, per source and phase", async () => {
    const ledger = openLedger(await backend.fresh("spend"));
    const id = ledger.createRun(makeConfig());
    const entry = { phase: "search", source: "target", inputTokens: 10, outputTokens: 2, costUsd: 0.001 };
    ledger.recordSpend(id, entry);
    ledger.recordSpend(id, { ...entry, inputTokens: 5, outputTokens: 1, costUsd: 0.0005 });
    ledger.recordSpend(id, {
      phase: "test",
      source: "judge",
      inputTokens: 7,
      outputTokens: 3,
      costUsd: 0.0002,
    });
    expect(ledger.spendBySource(id)).toEqual({
      target: { calls: 2, inputTokens: 15, outputTokens: 3, costUsd: 0.0015, lost: 0, abandoned: 0 },
      judge: { calls: 1, inputTokens: 7, outputTokens: 3, costUsd: 0.0002, lost: 0, abandoned: 0 },
    });
    const seq = ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 });
    expect(ledger.spendBySource(id).target.calls).toBe(2);
    ledger.closeSpend(id, seq, null);
    // a request in flight when its process died: pending, then lost (counted at its worst case)
    ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 });
    expect(ledger.spendBySource(id).target.calls).toBe(2);
    expect(ledger.markLostSpend(id)).toBe(1);
    expect(ledger.spendBySource(id).target).toMatchObject({ calls: 3, lost: 1, costUsd: 0.0115 });
    // an attempt abandoned at the timeout: still counted, at its worst case (the provider may bill it)
    const late = ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.02 });
    ledger.abandonSpend(id, late);
    expect(ledger.spendBySource(id).target).toMatchObject({ calls: 4, lost: 1, abandoned: 1 });
    expect(ledger.spendBySource(id).target.costUsd).toBeCloseTo(0.0315, 12);
    expect(ledger.markLostSpend(id)).toBe(0);
    expect(Object.keys(ledger.spendBySource(id, "test"))).toEqual(["judge"]);
    expect(ledger.listRuns()[0]).toMatchObject({ calls: 5 });
    ledger.close();
  });

  it("locks a run to one process across connections; a released, dead or silent holder is taken over", async () => {
    const location = await backend.fresh("locks");
    const a = openLedger(location);
    const b = openLedger(location, { ownConnection: true });
    const id = a.createRun(makeConfig());
    const lock = a.acquireRunLock(id);
    expect(a.getRun(id).status).toBe("running");
    expect(b.getRun(id).status).toBe("running");
    const err = userError(() => b.acquireRunLock(id));
    expect(err.name).toBe("RunLockedError");
    expect(err.message).toContain(`process ${process.pid} on ${hostname()}`);
    lock.release();
    lock.release(); // idempotent
    expect(b.getRun(id).status).toBe("interrupted");
    b.acquireRunLock(id).release();

    // a lock left by a process of this host that died (no such pid): stale at once, run interrupted
    const at = new Date().toISOString();
    await backend.sql(location, "INSERT INTO run_locks VALUES (?, 'x', 999999999, ?, ?, ?)", [
      id,
      hostname(),
      at,
      at,
    ]);
    expect(b.lockHolder(id)?.pid).toBe(999999999);
    expect(b.getRun(id).status).toBe("interrupted");
    expect(b.getRun(id).statusMessage).toContain("999999999");
    b.acquireRunLock(id).release();
    // another machine's lock: live while its heartbeat is recent, stale after RUN_LOCK_STALE_MS
    const now = Date.now();
    await backend.sql(location, "INSERT INTO run_locks VALUES (?, 'y', 1, 'elsewhere', ?, ?)", [
      id,
      new Date(now).toISOString(),
      new Date(now).toISOString(),
    ]);
    expect(userError(() => b.acquireRunLock(id)).message).toContain("on elsewhere");
    expect(b.getRun(id).status).toBe("running");
    await backend.sql(location, "UPDATE run_locks SET heartbeat_at = ? WHERE run_id = ?", [
      new Date(now - RUN_LOCK_STALE_MS - 1000).toISOString(),
      id,
    ]);
    expect(b.getRun(id).status).toBe("interrupted");
    b.acquireRunLock(id).release();
    a.close();
    b.close();
  });

  it("fences the run lock: a holder taken over while paused writes nothing more and learns who holds the run", async () => {
    const location = await backend.fresh("fence");
    const a = openLedger(location);
    const b = openLedger(location, { ownConnection: true });
    const id = a.createRun(makeConfig());
    const lockA = a.acquireRunLock(id);
    expect(lockA.generation).toBe(1);
    const seqA = a.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 });
    a.appendEvaluation(id, makeRecord(0));
    let told = 0;
    lockA.onLost(() => told++);
    // A is paused: its heartbeat goes stale, B takes the run over (generation 2) and marks A's request lost
    await backend.sql(location, "UPDATE run_locks SET heartbeat_at = ? WHERE run_id = ?", [
      new Date(Date.now() - RUN_LOCK_STALE_MS - 1000).toISOString(),
      id,
    ]);
    const lockB = b.acquireRunLock(id);
    expect(lockB.generation).toBe(2);
    expect(b.markLostSpend(id)).toBe(1);
    // A wakes: every write for the run, its admission check and its heartbeat refuse, naming B
    const lost = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(LockLostError);
        return err as LockLostError;
      }
      throw new Error("expected a LockLostError");
    };
    const err = lost(() =>
      a.closeSpend(id, seqA, {
        phase: "search",
        source: "target",
        inputTokens: 1,
        outputTokens: 1,
        costUsd: 0.001,
      }),
    );
    expect(err.message).toContain(`was taken over by process ${process.pid} on ${hostname()}`);
    expect(err.holder?.pid).toBe(process.pid);
    expect(told).toBe(1);
    expect(lockA.lost).toBe(err);
    lost(() => lockA.check());
    lost(() => lockA.heartbeat());
    lost(() => a.appendEvaluation(id, makeRecord(1)));
    lost(() => a.setState(id, "k", 1));
    lost(() => a.setStatus(id, "failed", "x"));
    lost(() => a.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 }));
    lost(() =>
      a.putBatchJob(id, {
        key: "k",
        provider: "openai",
        model: "m",
        fileId: null,
        batchId: null,
        status: "uploaded",
        attempt: 0,
        customIds: [],
      }),
    );
    // nothing of A landed after the takeover; B's lock is untouched by A's release
    lockA.release();
    expect(b.evaluations(id).map((e) => e.index)).toEqual([0]);
    expect(b.spendBySource(id).target).toMatchObject({ calls: 1, lost: 1 });
    expect(b.getState(id, "k")).toBeUndefined();
    expect(b.lockHolder(id)?.pid).toBe(process.pid);
    lockB.check();
    b.appendEvaluation(id, makeRecord(1));
    b.setStatus(id, "interrupted");
    lockB.release();
    // another ledger of this process that holds no lock writes as before (limits, status)
    a.setStatus(id, "interrupted", "by hand");
    // a later holder gets a higher generation, never a reused one
    const lockC = a.acquireRunLock(id);
    expect(lockC.generation).toBe(3);
    a.appendEvaluation(id, makeRecord(2));
    lockC.release();
    a.close();
    b.close();
  });

  it("refuses a newer schema version and a store that is not a ledger, naming it without a password", async () => {
    const location = await backend.fresh("versions");
    openLedger(location).close();
    await backend.sql(location, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    const err = userError(() => openLedger(location));
    expect(err.message).toMatch(/schema version 99, written by a newer instructzero/);
    expect(err.message).not.toContain("s3cret-pw");

    const other = await backend.fresh("nometa");
    if (backend.name === "sqlite") {
      await backend.sql(other, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
      expect(() => openLedger(other)).toThrow(/not an instructzero run ledger/);
    } else {
      await backend.sql(other, "CREATE TABLE runs (id TEXT)");
      expect(() => openLedger(other)).toThrow(/no meta table/);
    }
  });

  it("with create: false, does not create a missing or empty ledger", async () => {
    const location = await backend.fresh("missing");
    const err = userError(() => openLedger(location, { create: false }));
    if (backend.name === "sqlite") expect(err.message).toContain(location);
    else expect(err.message).toMatch(/no run ledger in postgres:\/\/\*\*\*@/);
  });

  it("migrates a version-1 ledger when it is opened", async () => {
    const location = await backend.freshV1("v1");
    const ledger = openLedger(location);
    const runs = ledger.listRuns();
    expect(runs.map((r) => r.id)).toEqual(["antonyms-4e6006", "antonyms-484534", "antonyms-02f679"]);
    for (const r of runs) expect(Object.keys(ledger.getRun(r.id).config)).not.toContain("numDemos");
    expect(ledger.evaluations("antonyms-4e6006")).toHaveLength(6);
    ledger.close();
    const meta = await backend.sql<{ key: string; value: string }>(location, "SELECT key, value FROM meta");
    expect(meta.find((m) => m.key === "schema_version")?.value).toBe(String(LEDGER_SCHEMA_VERSION));
    expect(meta.some((m) => m.key === "migrated_from_1")).toBe(true);
  });

  it("takes the writes of several connections at once (run and spend numbers never collide)", async () => {
    const location = await backend.fresh("many");
    const ledgers = [0, 1, 2].map(() => openLedger(location, { ownConnection: true }));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(ledgers[i % 3].createRun(makeConfig({ seed: i })));
    expect(new Set(ids).size).toBe(30);
    const run = ids[0];
    for (let i = 0; i < 30; i++)
      ledgers[i % 3].recordSpend(run, {
        phase: "search",
        source: "target",
        inputTokens: 1,
        outputTokens: 1,
        costUsd: 0,
      });
    expect(ledgers[0].spendBySource(run).target.calls).toBe(30);
    expect(ledgers[1].listRuns()).toHaveLength(30);
    fillRun(ledgers[2], 3, { seed: 99 });
    expect(ledgers[0].listRuns()).toHaveLength(31);
    for (const l of ledgers) l.close();
  });

  it("keeps every committed append of a writer killed with SIGKILL", async () => {
    const LEDGER_JS = resolve("dist/store/ledger.js");
    if (!existsSync(LEDGER_JS)) throw new Error(`${LEDGER_JS} is missing: run \`npm run build\` first`);
    const location = await backend.fresh("crash");
    const setup = openLedger(location);
    const id = setup.createRun(makeConfig());
    setup.close();
    const writer = `
import { openLedger } from ${JSON.stringify(pathToFileURL(LEDGER_JS).href)};
const [location, runId] = process.argv.slice(1);
const ledger = openLedger(location);
for (let i = 0; ; i++) {
  const scores = [i % 2, 1, 0, 1];
  ledger.transaction(() => {
    ledger.appendEvaluation(runId, {
      index: i, iteration: 0, z: [i / 1000, -i / 1000], instruction: "instruction " + (i % 13),
      score: scores.reduce((a, b) => a + b, 0) / 4, scores, outputs: scores.map(String), reused: i >= 13,
      calls: 4, cacheHits: 0, inputTokens: 10, outputTokens: 2, costUsd: 0.001, generationMs: 1, evaluationMs: 2,
    });
    ledger.setState(runId, "next", i + 1);
  });
  process.stdout.write(i + "\\n");
}
`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", writer, location, id], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lastDone = -1;
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    await new Promise<void>((done, fail) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const l of lines) lastDone = Number(l);
        if (lastDone >= 100 && !child.killed) {
          child.kill("SIGKILL");
          done();
        }
      });
      child.on("exit", () => (lastDone >= 100 ? done() : fail(new Error(`writer exited early: ${stderr}`))));
    });
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(null) : child.on("exit", r),
    );
    expect(child.signalCode).toBe("SIGKILL");
    const ledger = openLedger(location);
    const evs = ledger.evaluations(id);
    expect(evs.length).toBeGreaterThanOrEqual(lastDone + 1);
    expect(evs.map((e) => e.index)).toEqual([...Array(evs.length).keys()]);
    expect(ledger.getState(id, "next")).toBe(evs.length);
    expect(ledger.appendEvaluation(id, evs[evs.length - 1])).toBe(false);
    ledger.close();
  });

  it("prunes runs with all their rows in one transaction: all or nothing; a running run is refused", async () => {
    const location = await backend.fresh("prune");
    const ledger = openLedger(location);
    const a = fillRun(ledger, 3);
    const b = fillRun(ledger, 2, { seed: 7 });
    const keep = fillRun(ledger, 2, { seed: 8 });
    for (const id of [a, b, keep]) {
      ledger.setState(id, "next", 1);
      ledger.setExamples(id, "validation", [{ input: "x", answers: ["y"] }]);
      ledger.closeSpend(
        id,
        ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.1 }),
        null,
      );
      ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.1 });
    }
    ledger.setStatus(a, "failed", "boom");
    ledger.setStatus(b, "failed", "boom");
    expect(matchingRuns(ledger, { status: "failed" }).map((r) => r.id)).toEqual([a, b]);
    // an unknown id: nothing deleted
    expect(() => deleteRuns(ledger, [a, "no-such-run"])).toThrow(UserError);
    expect(ledger.listRuns()).toHaveLength(3);
    // a run a live process holds is refused, nothing deleted
    const lock = ledger.acquireRunLock(keep);
    expect(() => deleteRuns(ledger, [a, keep])).toThrow(/is running/);
    lock.release();
    expect(ledger.listRuns()).toHaveLength(3);
    expect(deleteRuns(ledger, [a, b])).toBe(2);
    expect(ledger.listRuns().map((r) => r.id)).toEqual([keep]);
    for (const table of ["runs", "evaluations", "state", "examples", "spend", "run_locks"]) {
      const col = table === "runs" ? "id" : "run_id";
      const rows = await backend.sql<{ n: number | string }>(
        location,
        `SELECT COUNT(*) AS n FROM ${table} WHERE ${col} IN (?, ?)`,
        [a, b],
      );
      expect(Number(rows[0].n), table).toBe(0);
    }
    expect(ledger.evaluations(keep)).toHaveLength(2);
    expect(ledger.getState(keep, "next")).toBe(1);
    ledger.close();
  });
});
