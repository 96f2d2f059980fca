/**
 * A damaged response cache is found when it is opened (SQLite quick_check, SQLITE_NOTADB /
 * SQLITE_CORRUPT), with a UserError naming the file and what to do; the file is left untouched.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { ResponseCache } from "../../src/blackbox/cache.js";
import { createBlackBox } from "../../src/blackbox/client.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

function tmpFile(name = "responses.sqlite"): string {
  return join(mkdtempSync(join(tmpdir(), "iz-cache-int-")), name);
}

/** A valid cache of `rows` answers, closed (the WAL checkpointed into the main file). */
function validCache(path: string, rows: number): void {
  const cache = new ResponseCache(path);
  for (let i = 0; i < rows; i++) {
    cache.put(
      `${i}`.padStart(64, "k"),
      { provider: "openai", model: "gpt-4o-mini" },
      { text: `answer number ${i} `.repeat(3), usage: { inputTokens: 12, outputTokens: 4 } },
    );
  }
  expect(cache.size()).toBe(rows);
  cache.close();
}

/** Overwrite `length` bytes in the middle of the file with seeded random data (header kept). */
function damageMiddle(path: string, length = 8192): void {
  const size = statSync(path).size;
  expect(size).toBeGreaterThan(4 * length);
  const rng = new Rng(7);
  const junk = Buffer.alloc(length);
  for (let i = 0; i < length; i++) junk[i] = Math.floor(rng.uniform() * 256);
  const fd = openSync(path, "r+");
  writeSync(fd, junk, 0, length, Math.floor(size / 2 / 4096) * 4096 - length / 2);
  closeSync(fd);
}

function expectAdvice(err: unknown, path: string): void {
  expect(err).toBeInstanceOf(UserError);
  const message = (err as Error).message;
  expect(message).toContain(`response cache ${path}`);
  expect(message).toMatch(/move it aside or delete it/);
  expect(message).toMatch(/nothing is lost but their reuse/);
  expect(message).toMatch(/--cache \/ INSTRUCTZERO_CACHE/);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error, got none");
}

describe("a damaged response cache is found when opened", () => {
  it("garbage in the middle of a valid cache: new ResponseCache throws a UserError naming the file", () => {
    const path = tmpFile();
    validCache(path, 400);
    damageMiddle(path);
    const before = readFileSync(path);
    const err = thrown(() => new ResponseCache(path));
    expectAdvice(err, path);
    expect((err as Error).message).toMatch(/is damaged \(SQLite integrity check: [^)]+\)/);
    expect((err as Error).message).not.toContain("\n");
    expect(readFileSync(path).equals(before)).toBe(true); // left untouched
  });

  it("createBlackBox fails at once on it, before any request", async () => {
    const server = await startFakeOpenAI();
    try {
      const path = tmpFile();
      validCache(path, 300);
      damageMiddle(path);
      const err = thrown(() =>
        createBlackBox("openai:gpt-4o-mini", { baseURL: server.url, env: {}, cachePath: path }),
      );
      expectAdvice(err, path);
      const viaEnv = thrown(() =>
        createBlackBox("openai:gpt-4o-mini", { baseURL: server.url, env: { INSTRUCTZERO_CACHE: path } }),
      );
      expectAdvice(viaEnv, path);
      expect(server.stats().requests).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("a file that is not SQLite at all", () => {
    const path = tmpFile("notes.sqlite");
    writeFileSync(path, "these are my notes, not a database\n".repeat(200));
    const err = thrown(() => new ResponseCache(path));
    expectAdvice(err, path);
    expect((err as Error).message).toMatch(/is not a SQLite database/);
    expect(readFileSync(path, "utf8")).toMatch(/^these are my notes/);
  });

  it("a SQLite file whose header is damaged", () => {
    const path = tmpFile();
    validCache(path, 50);
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.from("definitely not SQLite"), 0, 21, 0);
    closeSync(fd);
    expectAdvice(
      thrown(() => new ResponseCache(path)),
      path,
    );
  });

  it("a directory where the file should be", () => {
    const dir = mkdtempSync(join(tmpdir(), "iz-cache-dir-"));
    const err = thrown(() => new ResponseCache(dir));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/is a directory/);
  });

  it("a sound cache, an empty file and a new file open normally and keep their answers", () => {
    const path = tmpFile();
    validCache(path, 200);
    const cache = new ResponseCache(path);
    expect(cache.size()).toBe(200);
    expect(cache.get("7".padStart(64, "k"))?.text).toMatch(/^answer number 7 /);
    cache.close();
    const empty = tmpFile();
    writeFileSync(empty, "");
    const e = new ResponseCache(empty);
    expect(e.size()).toBe(0);
    e.close();
  });
});
