/** A task file whose name looks like a key is a file name, not a secret; real keys are still refused. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { loadTask } from "../../src/tasks/load.js";
import { UserError } from "../../src/util/errors.js";
import { assertNoSecrets } from "../../src/util/secrets.js";
import { makeConfig } from "../store/synthetic.js";

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("expected a UserError");
}

describe("task file names that look like keys", () => {
  const dir = mkdtempSync(join(tmpdir(), "iz-sk-"));
  const name = "task-sk-abcdefghijklmnopqrst.jsonl";
  const path = join(dir, name);
  writeFileSync(
    path,
    ["a", "b", "c", "d"].map((w) => JSON.stringify({ input: w, output: w.toUpperCase() })).join("\n"),
  );

  it("loads the task and stores a run with it", async () => {
    const task = await loadTask(path);
    expect(task.name).toBe("task-sk-abcdefghijklmnopqrst");
    const ledger = openLedger(":memory:");
    const a = ledger.createRun(makeConfig({ task: name, taskFile: path }));
    const b = ledger.createRun(makeConfig({ task: path, taskFile: path }));
    const c = ledger.createRun(makeConfig({ task: "sk-abcdefghijklmnopqrstuv.csv" }));
    expect(ledger.getRun(a).config.taskFile).toBe(path);
    expect(ledger.getRun(b).config.task).toBe(path);
    expect(ledger.getRun(c).config.task).toBe("sk-abcdefghijklmnopqrstuv.csv");
    expect(ledger.listRuns()).toHaveLength(3);
    ledger.close();
  });

  it("still refuses keys, in those fields and elsewhere, without echoing them", () => {
    const ledger = openLedger(":memory:");
    const key = "sk-proj-abcdef0123456789";
    for (const overrides of [
      { task: key },
      { task: "antonyms", taskFile: key },
      { task: `${key}.txt` },
      { task: "antonyms", blackBoxId: `${name} ${key}` },
      // the exemption is for .jsonl/.csv paths in task and taskFile only
      { task: "antonyms", blackBoxId: name },
      { task: "antonyms", dataDir: `/data/${name}` },
    ]) {
      const e = userError(() => ledger.createRun(makeConfig(overrides)));
      expect(e.message).toMatch(/sk-/);
      expect(e.message).not.toContain(key);
      expect(e.message).not.toContain("abcdefghijklmnopqrst");
    }
    // the other secret checks still apply to a task file path
    expect(() => assertNoSecrets({ task: "https://u:pw@host/x.jsonl" })).toThrow(/password/);
    expect(() => assertNoSecrets({ taskFile: "Bearer abcdefghijklmnopqrstuvwxyz.csv" })).toThrow(/Bearer/);
    // and nested fields named task get no exemption
    expect(() => assertNoSecrets({ nested: { task: name } })).toThrow(UserError);
    expect(ledger.listRuns()).toEqual([]);
    ledger.close();
  });
});
