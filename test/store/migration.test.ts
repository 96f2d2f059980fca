/**
 * Ledger schema version 1 -> 2: the committed ledger test/fixtures/ledger/v1.sqlite (written by
 * instructzero 0.1.0, see its README) is migrated when opened, by the library and by the CLI, and its
 * interrupted run resumes to the same result as an uninterrupted run of today's code.
 * The committed file is never opened: every test works on a copy in a temp dir.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer } from "../../fixtures/optimize.js";
import { parseRunConfig } from "../../src/config/parse.js";
import { executeRun } from "../../src/optimizers/run.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { openRunDeps } from "../../src/optimizers/setup.js";
import { LEDGER_SCHEMA_VERSION, openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { UserError } from "../../src/util/errors.js";
import { CLI, runCli } from "../helpers/cli.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/ledger/v1.sqlite");
const DATA = join(import.meta.dirname, "../fixtures/tasks/data");
const dir = mkdtempSync(join(tmpdir(), "iz-migrate-"));
const DIST_LEDGER = join(CLI, "../../store/ledger.js");

/** What the fixture holds (see test/fixtures/ledger/README.md). */
const RUNS = [
  { id: "antonyms-4e6006", status: "completed", evaluations: 6 },
  { id: "antonyms-484534", status: "interrupted", evaluations: 3 },
  { id: "antonyms-02f679", status: "completed", evaluations: 4 },
];
/** Version-1 field names that version 2 renamed or dropped. */
const V1_ONLY = ["numDemos", "baseURL", "timeoutMs", "skipTest", "cachePath"];

let copies = 0;
/** A fresh copy of the committed v1 ledger. */
function copyFixture(): string {
  const file = join(dir, `v1-copy-${++copies}.sqlite`);
  copyFileSync(FIXTURE, file);
  return file;
}

/** Raw access to a ledger file, bypassing openLedger (no migration). */
function raw<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function meta(file: string): Record<string, string> {
  return raw(file, (db) =>
    Object.fromEntries(
      (db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((r) => [
        r.key,
        r.value,
      ]),
    ),
  );
}

function rawEvaluations(file: string, runId: string): EvaluationRecord[] {
  return raw(file, (db) =>
    (
      db
        .prepare("SELECT record FROM evaluations WHERE run_id = ? ORDER BY idx")
        .pluck()
        .all(runId) as string[]
    ).map((r) => JSON.parse(r) as EvaluationRecord),
  );
}

/** Open (and so migrate) `file` in a separate node process, through the built library. */
function openInChild(file: string): Promise<{ code: number | null; stderr: string }> {
  const script =
    `import { openLedger } from ${JSON.stringify(DIST_LEDGER)};` +
    `const l = openLedger(${JSON.stringify(file)}, { create: false }); l.listRuns(); l.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("ledger migration v1 -> v2 (library)", () => {
  it("the fixture is a version-1 ledger in the old config form", () => {
    const file = copyFixture();
    expect(meta(file).schema_version).toBe("1");
    const config = raw(file, (db) =>
      JSON.parse(db.prepare("SELECT config FROM runs WHERE id = 'antonyms-02f679'").pluck().get() as string),
    );
    expect(config).toMatchObject({ numDemos: 5, timeoutMs: 60000, skipTest: true });
  });

  it("openLedger migrates: version 2, migrated_from_1, runs and evaluations kept, configs in the new form", () => {
    const file = copyFixture();
    const before = Object.fromEntries(RUNS.map((r) => [r.id, rawEvaluations(file, r.id)]));
    const ledger = openLedger(file, { create: false, now: () => new Date("2031-02-03T04:05:06.000Z") });
    try {
      const runs = ledger.listRuns();
      expect(runs.map((r) => ({ id: r.id, status: r.status, evaluations: r.evaluations }))).toEqual(RUNS);
      for (const r of RUNS) {
        expect(ledger.evaluations(r.id)).toEqual(before[r.id]);
        const config = ledger.getRun(r.id).config;
        expect(() => parseRunConfig(config, `run ${r.id}`)).not.toThrow();
        for (const k of V1_ONLY) expect(config, `${r.id}: ${k}`).not.toHaveProperty(k);
        expect(config).toMatchObject({ task: "antonyms", method: "ape", target: "openai:gpt-4o-mini" });
      }
      // a config written by the 0.1.0 CLI's option mapping
      const cli = ledger.getRun("antonyms-02f679").config;
      expect(cli.demos).toBe(5);
      expect(cli.baseUrl).toBe("http://127.0.0.1:40759/v1");
      expect(cli.timeout).toBe(60000);
      expect(cli.cache).toBe("/tmp/iz-v1-fixture-cache.sqlite");
      expect(cli.test).toBe(false);
      expect(cli.maxCost).toBe(1);
      expect(cli).toMatchObject({ budget: 4, seed: 2, initialPoints: 2, batchSize: 2, maxRetries: 6 });
      // a config written by makeRunConfig: cache off, test on, defaults filled in
      const lib = ledger.getRun("antonyms-484534").config;
      expect(lib).toMatchObject({ seed: 1, budget: 6, demos: 5, cache: false, test: true, concurrency: 2 });
      expect(lib.maxRetries).toBe(0);
      expect(lib.timeout).toBe(60000);
      // the new table works on a migrated ledger
      expect(ledger.getTaskExamples("antonyms-484534")).toBeNull();
    } finally {
      ledger.close();
    }
    const m = meta(file);
    expect(m.schema_version).toBe(String(LEDGER_SCHEMA_VERSION));
    expect(m.migrated_from_1).toMatch(/^2031-02-03T04:05:06\.000Z by instructzero /);
    expect(m.created_by).toBe("instructzero 0.1.0");
  });

  it("a second open does not migrate again", () => {
    const file = copyFixture();
    openLedger(file, { create: false, now: () => new Date("2031-01-01T00:00:00.000Z") }).close();
    const first = meta(file);
    const configs = raw(file, (db) => db.prepare("SELECT id, config FROM runs ORDER BY seq").all());
    const second = openLedger(file, { create: false, now: () => new Date("2032-01-01T00:00:00.000Z") });
    expect(second.listRuns()).toHaveLength(3);
    second.close();
    expect(meta(file)).toEqual(first);
    expect(first.migrated_from_1).toMatch(/^2031-01-01/);
    expect(raw(file, (db) => db.prepare("SELECT id, config FROM runs ORDER BY seq").all())).toEqual(configs);
  });

  it("two processes opening the same v1 ledger at once migrate it once", async () => {
    const file = copyFixture();
    const results = await Promise.all([openInChild(file), openInChild(file), openInChild(file)]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const m = meta(file);
    expect(m.schema_version).toBe(String(LEDGER_SCHEMA_VERSION));
    expect(Object.keys(m).filter((k) => k.startsWith("migrated_from_"))).toEqual(["migrated_from_1"]);
    const ledger = openLedger(file, { create: false });
    try {
      expect(ledger.getRun("antonyms-02f679").config.demos).toBe(5);
      expect(ledger.listRuns().map((r) => r.evaluations)).toEqual([6, 3, 4]);
    } finally {
      ledger.close();
    }
  });

  it("a run config that cannot be migrated: UserError naming the file and run, file left at version 1", () => {
    const file = copyFixture();
    raw(file, (db) =>
      db.prepare("UPDATE runs SET config = ? WHERE id = ?").run('{"task": 5}', "antonyms-484534"),
    );
    let error: unknown;
    try {
      openLedger(file, { create: false }).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain("antonyms-484534");
    expect(message).toMatch(/task/);
    // rolled back: still version 1, no new table, the other runs' configs untouched
    const m = meta(file);
    expect(m.schema_version).toBe("1");
    expect(m.migrated_from_1).toBeUndefined();
    const tables = raw(
      file,
      (db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
    );
    expect(tables).not.toContain("task_examples");
    const first = raw(file, (db) =>
      JSON.parse(db.prepare("SELECT config FROM runs WHERE id = 'antonyms-4e6006'").pluck().get() as string),
    );
    expect(first).toHaveProperty("numDemos", 5);
    // and it fails the same way again (nothing half-done)
    expect(() => openLedger(file, { create: false })).toThrow(/antonyms-484534/);
  });
});

describe("ledger migration v1 -> v2 (CLI)", () => {
  const env = { INSTRUCTZERO_HOME: join(dir, "home") };

  it("runs, show and report --json work on a v1 ledger", async () => {
    const runs = await runCli(["runs", "--ledger", copyFixture(), "--json"], { env });
    expect(runs.code, runs.stderr).toBe(0);
    const list = JSON.parse(runs.stdout) as { id: string; status: string; evaluations: number }[];
    expect(list.map((r) => ({ id: r.id, status: r.status, evaluations: r.evaluations }))).toEqual(RUNS);

    const table = await runCli(["runs", "--ledger", copyFixture()], { env });
    expect(table.code, table.stderr).toBe(0);
    for (const r of RUNS) expect(table.stdout).toContain(r.id);

    const show = await runCli(["show", "antonyms-02f679", "--ledger", copyFixture()], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("Run antonyms-02f679 (completed)");
    expect(show.stdout).toMatch(/method\s+ape/);
    expect(show.stdout).toMatch(/Evaluations 4\/4/);

    const file = copyFixture();
    const report = await runCli(["report", "antonyms-4e6006", "--json", "--out", "-", "--ledger", file], {
      env,
    });
    expect(report.code, report.stderr).toBe(0);
    const exp = JSON.parse(report.stdout);
    expect(exp.format).toBe("instructzero-run");
    expect(exp.run).toMatchObject({ id: "antonyms-4e6006", status: "completed" });
    expect(exp.summary.evaluations).toBe(6);
    expect(exp.evaluations).toHaveLength(6);
    expect(exp.config).toMatchObject({ demos: 5, cache: false, test: true });
    for (const k of V1_ONLY) expect(exp.config).not.toHaveProperty(k);
    expect(() => parseRunConfig(exp.config)).not.toThrow();
    expect(meta(file).schema_version).toBe(String(LEDGER_SCHEMA_VERSION));
  });

  describe("resume of the interrupted v1 run", () => {
    let server: FakeOpenAI;
    const saved: Record<string, string | undefined> = {};
    const ENV = () => ({
      OPENAI_API_KEY: "test",
      OPENAI_BASE_URL: server.url,
      INSTRUCTZERO_DATA: DATA,
      INSTRUCTZERO_CACHE: join(dir, "resume-cache.sqlite"),
      INSTRUCTZERO_HOME: join(dir, "home"),
    });
    beforeAll(async () => {
      server = await startFakeOpenAI({ answer: instructionQualityAnswer });
      for (const [k, v] of Object.entries(ENV())) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    });
    afterAll(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await server?.close();
    });

    it("continues antonyms-484534 to the same 6 evaluations as an uninterrupted run", async () => {
      const file = copyFixture();
      const before = rawEvaluations(file, "antonyms-484534");
      expect(before).toHaveLength(3);

      const r = await runCli(["resume", "antonyms-484534", "--ledger", file, "--json"], { env: ENV() });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.runId).toBe("antonyms-484534");
      expect(out.status).toBe("completed");
      expect(out.totals.evaluations).toBe(6);
      expect(out.test).not.toBeNull();

      const ledger = openLedger(file, { create: false });
      let resumed: EvaluationRecord[];
      try {
        expect(ledger.getRun("antonyms-484534").status).toBe("completed");
        resumed = ledger.evaluations("antonyms-484534");
      } finally {
        ledger.close();
      }
      expect(resumed).toHaveLength(6);
      expect(resumed.slice(0, 3)).toEqual(before);
      expect(meta(file).schema_version).toBe(String(LEDGER_SCHEMA_VERSION));

      // the same configuration run from scratch, in process, with today's code
      const config = makeRunConfig({
        task: "antonyms",
        target: "openai:gpt-4o-mini",
        method: "ape",
        budget: 6,
        initialPoints: 3,
        batchSize: 3,
        validationSize: 5,
        seed: 1,
        cache: false,
        concurrency: 2,
        maxRetries: 0,
      });
      const fresh = openLedger(join(dir, "fresh.sqlite"));
      let reference: EvaluationRecord[];
      try {
        const runId = fresh.createRun(config);
        const deps = await openRunDeps(config, fresh);
        try {
          const outcome = await executeRun(runId, deps);
          expect(outcome.status).toBe("completed");
        } finally {
          await deps.close();
        }
        reference = fresh.evaluations(runId);
      } finally {
        fresh.close();
      }
      const essence = (e: EvaluationRecord[]) =>
        e.map((r) => ({
          iteration: r.iteration,
          instruction: r.instruction,
          score: r.score,
          scores: r.scores,
          outputs: r.outputs,
          reused: r.reused,
        }));
      expect(reference).toHaveLength(6);
      expect(essence(resumed)).toEqual(essence(reference));
    });
  });
});

describe("ledger migration v2 -> v3 (the run lock's generation)", () => {
  it("adds runs.lock_generation to a version-2 ledger; its runs keep their rows and lock with generation 1", () => {
    const file = join(mkdtempSync(join(tmpdir(), "iz-v2-")), "runs.sqlite");
    const ledger = openLedger(file);
    const id = ledger.createRun(makeRunConfig({ task: "antonyms", target: "openai:gpt-4o-mini", budget: 4 }));
    ledger.close();
    // as version 2 wrote it: no lock_generation column
    const db = new Database(file);
    db.exec("ALTER TABLE runs DROP COLUMN lock_generation");
    db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
    db.close();
    const again = openLedger(file, { create: false, now: () => new Date("2031-05-06T00:00:00.000Z") });
    try {
      expect(again.getRun(id).config.budget).toBe(4);
      const lock = again.acquireRunLock(id);
      expect(lock.generation).toBe(1);
      lock.release();
    } finally {
      again.close();
    }
    const m = meta(file);
    expect(m.schema_version).toBe("3");
    expect(m.migrated_from_2).toMatch(/^2031-05-06/);
  });
});
