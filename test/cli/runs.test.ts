/**
 * `instructzero runs` filters (status, task, method, dates) and prunes (`--prune STATUS`, `--dry-run`):
 * issue 21 item 6. Pruning deletes the runs and all their rows (conformance: test/store/conformance).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { runCli } from "../helpers/cli.js";
import { fillRun } from "../store/synthetic.js";

let dir: string;
let ledgerPath: string;
let failedOld: string;
let failedNew: string;
let done: string;
let other: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iz-runs-"));
  ledgerPath = join(dir, "runs.sqlite");
  let day = "2026-11-20";
  const ledger = openLedger(ledgerPath, { now: () => new Date(`${day}T10:00:00Z`) });
  failedOld = fillRun(ledger, 1, { seed: 1 });
  ledger.setStatus(failedOld, "failed", "boom");
  day = "2026-12-02";
  failedNew = fillRun(ledger, 1, { seed: 2 });
  ledger.setStatus(failedNew, "failed", "boom");
  done = fillRun(ledger, 2, { seed: 3 });
  ledger.setStatus(done, "completed");
  other = fillRun(ledger, 1, { seed: 4, task: "synonyms" });
  ledger.setStatus(other, "failed", "boom");
  ledger.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = (...args: string[]) => runCli(["runs", "--ledger", ledgerPath, ...args]);
const ids = (stdout: string) => (JSON.parse(stdout) as { id: string }[]).map((r) => r.id);

describe("instructzero runs", () => {
  it("filters by status, task and date", async () => {
    expect(ids((await runs("--json")).stdout)).toEqual([failedOld, failedNew, done, other]);
    expect(ids((await runs("--json", "--status", "failed")).stdout)).toEqual([failedOld, failedNew, other]);
    expect(ids((await runs("--json", "--status", "failed", "--task", "antonyms")).stdout)).toEqual([
      failedOld,
      failedNew,
    ]);
    expect(
      ids((await runs("--json", "--status", "failed", "--task", "antonyms", "--since", "2026-12-01")).stdout),
    ).toEqual([failedNew]);
    expect(ids((await runs("--json", "--until", "2026-12-01")).stdout)).toEqual([failedOld]);
    expect((await runs("--status", "completed", "--task", "synonyms")).stdout).toBe("No runs match.\n");
  });

  it("refuses a bad status or date, naming it", async () => {
    const bad = await runs("--status", "broken");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status "broken" is not a run status: one of running, .*failed/);
    const date = await runs("--since", "yesterday");
    expect(date.code).toBe(2);
    expect(date.stderr).toMatch(/--since "yesterday" is not a date/);
  });

  it("--prune failed --dry-run lists and deletes nothing; --prune deletes", async () => {
    const dry = await runs("--prune", "failed", "--task", "antonyms", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      `would delete ${failedOld}\nwould delete ${failedNew}\n2 runs would be deleted (dry run: nothing deleted)\n`,
    );
    expect(ids((await runs("--json")).stdout)).toHaveLength(4);
    const real = await runs("--prune", "failed", "--task", "antonyms");
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(
      new RegExp(`deleted ${failedOld}\\ndeleted ${failedNew}\\n2 runs deleted from`),
    );
    expect(ids((await runs("--json")).stdout)).toEqual([done, other]);
  });
});
