/**
 * `instructzero report NEWRUN --json` of a migration against the fake OpenAI server (built CLI): each
 * `oldCandidates` entry carries `selectionN`, the selection examples its selection score is over, the
 * same number as the `migrate --json` row of that candidate (and its selection candidate's scores).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
const NEW = "gpt-4.1-mini";

describe("report --json of a migration", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
  });
  afterAll(() => server.close());

  it("gives each old candidate the selectionN of its migrate --json row", async () => {
    const ledgerFile = join(fx.dir, "sel-n.ledger.sqlite");
    const old = await runCli(
      [
        "optimize",
        ...["--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
        ...["--generator", fx.model, "--validation-size", "5", "--budget", "8"],
        ...["--initial-points", "4", "--batch-size", "4", "--ledger", ledgerFile, "--json"],
      ],
      { env },
    );
    expect(old.code, old.stderr).toBe(0);
    const oldId = JSON.parse(old.stdout).runId as string;
    const migrated = await runCli(
      ["migrate", oldId, "--to", `openai:${NEW}`, "--budget", "4", "--warm", "4"].concat([
        "--ledger",
        ledgerFile,
        "--json",
      ]),
      { env },
    );
    expect(migrated.code, migrated.stderr).toBe(0);
    const [table] = JSON.parse(migrated.stdout) as {
      runId: string;
      status: string;
      rows: { label: string; selectionN: number | null }[];
    }[];
    expect(table.status).toBe("completed");

    const exported = await runCli(["report", table.runId, "--ledger", ledgerFile, "--json"], { env });
    expect(exported.code, exported.stderr).toBe(0);
    const run = JSON.parse(exported.stdout) as {
      selection: { size: number; candidates: { index: number; scores: number[] }[] };
      oldCandidates: { name: string; index: number | null; selectionN: number | null }[];
    };
    expect(run.oldCandidates.length).toBeGreaterThan(1);
    for (const c of run.oldCandidates) {
      const row = table.rows.find((r) => r.label === `new model, ${c.name}`);
      expect(row, c.name).toBeDefined();
      // scored on the selection split: at least the race's first look, at most the whole split
      expect(row!.selectionN, c.name).toBeGreaterThan(0);
      expect(row!.selectionN!, c.name).toBeLessThanOrEqual(run.selection.size);
      expect(c.selectionN, c.name).toBe(row!.selectionN);
      const sel = run.selection.candidates.find((x) => x.index === c.index)!;
      expect(c.selectionN, c.name).toBe(sel.scores.length);
    }
  });
});
