/**
 * What is particular to ledger files (SQLite): WAL, the default path and the location rules, damaged or
 * foreign files. Every other ledger behaviour is tested on both backends in ./conformance.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFileLocation, ledgerLocation } from "../../src/db/location.js";
import { defaultLedgerPath, openLedger } from "../../src/store/ledger.js";
import { UserError } from "../../src/util/errors.js";
import { makeConfig, makeRecord } from "./synthetic.js";

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

describe("ledger files (SQLite)", () => {
  it("keeps a new ledger in a new folder, in WAL mode, and reads it back after reopening", () => {
    const file = join(dir, "sub", "runs.sqlite");
    const ledger = openLedger(file, { now: fixedClock });
    const a = ledger.createRun(makeConfig());
    ledger.close();
    // Same config, same clock, empty ledger: the same id (derived, not random).
    const other = openLedger(":memory:", { now: fixedClock });
    expect(other.createRun(makeConfig())).toBe(a);
    other.close();
    const again = openLedger(file);
    expect(again.listRuns().map((r) => r.id)).toEqual([a]);
    const raw = new Database(file);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
    again.close();
  });

  it("uses INSTRUCTZERO_HOME for the default path", () => {
    expect(defaultLedgerPath({ INSTRUCTZERO_HOME: "/x/y" })).toBe("/x/y/runs.sqlite");
    expect(defaultLedgerPath({})).toMatch(/\.instructzero[/\\]runs\.sqlite$/);
  });

  it("finds the ledger: --store / --ledger, else INSTRUCTZERO_STORE, else the default file", () => {
    const env = { INSTRUCTZERO_HOME: "/h" };
    expect(ledgerLocation({}, env)).toBe("/h/runs.sqlite");
    expect(ledgerLocation({}, { ...env, INSTRUCTZERO_STORE: "rel/runs.sqlite" })).toBe(
      resolve("rel/runs.sqlite"),
    );
    expect(ledgerLocation({}, { ...env, INSTRUCTZERO_STORE: " postgres://u:p@h/db " })).toBe(
      "postgres://u:p@h/db",
    );
    expect(ledgerLocation({ ledger: "/a.sqlite" }, { ...env, INSTRUCTZERO_STORE: "postgres://h/db" })).toBe(
      "/a.sqlite",
    );
    expect(ledgerLocation({ store: "postgres://h/x", ledger: "postgres://h/x" }, env)).toBe("postgres://h/x");
    expect(() => ledgerLocation({ store: "postgres://h/x", ledger: "/a.sqlite" }, env)).toThrow(
      /either --store or --ledger/,
    );
    expect(isFileLocation("/a.sqlite")).toBe(true);
    expect(isFileLocation(":memory:")).toBe(true);
    expect(isFileLocation("postgresql://h/db")).toBe(false);
  });

  it("opens the ledger INSTRUCTZERO_STORE names when no location is given (library and CLI alike)", () => {
    const file = join(dir, "from-env.sqlite");
    const saved = process.env.INSTRUCTZERO_STORE;
    process.env.INSTRUCTZERO_STORE = file;
    try {
      const ledger = openLedger();
      expect(ledger.path).toBe(file);
      ledger.close();
    } finally {
      if (saved === undefined) delete process.env.INSTRUCTZERO_STORE;
      else process.env.INSTRUCTZERO_STORE = saved;
    }
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
