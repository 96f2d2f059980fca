/**
 * RunSession: a failing start leaves no run behind; new limits are stored only once everything opened;
 * a completed run is read back without opening anything; the outcome of a stored run, finished or not.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { RunSession } from "../../src/session/run-session.js";
import { openRunStore } from "../../src/session/store.js";
import { examplesFromObjects, examplesSha256 } from "../../src/tasks/user-file.js";

const reverse = (w: string) => [...w].reverse().join("");
const examples = examplesFromObjects(
  Array.from({ length: 24 }, (_, i) => ({ input: `word${i}`, output: reverse(`word${i}`) })),
  "examples",
);
const blackBoxFunction = async ({ input }: { instruction: string; input: string }) =>
  Number(input.slice(4)) % 3 === 0 ? reverse(input) : input;

let dir: string;
let model: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iz-session-"));
  model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
});

const configOf = (generator: string) =>
  makeRunConfig(
    {
      task: "examples",
      generator,
      method: "uniform",
      budget: 4,
      initialPoints: 4,
      validationSize: 4,
      cache: false,
      blackBoxId: "reverse@1",
    },
    { examplesHash: examplesSha256(examples), blackBoxFunction: true },
  );

describe("RunSession", () => {
  it("a failing start records no run", async () => {
    const store = join(dir, "failing.sqlite");
    await expect(
      RunSession.open({ config: configOf(join(dir, "missing")), examples, store, blackBoxFunction }),
    ).rejects.toThrow();
    const ledger = openRunStore(store, { create: false });
    expect(ledger.listRuns()).toHaveLength(0);
    ledger.close();
  });

  it("runs, reads back, refuses read-only runs and stores new limits only once everything opened", async () => {
    const store = join(dir, "runs.sqlite");
    const config = configOf(model);
    const session = await RunSession.open({ config, examples, store, blackBoxFunction });
    expect(session.blackBox).toBeDefined();
    const { runId } = session;
    // before it runs: no evaluation yet
    expect(session.outcome()).toMatchObject({ runId, best: null, evaluations: [] });
    const outcome = await session.run();
    await session.close();
    await session.close(); // idempotent
    expect(outcome.status).toBe("completed");

    // the same configuration with reuse: read back, nothing opened
    const ledger = openRunStore(store);
    const again = await RunSession.open({ config, store: ledger, reuse: true });
    expect(again.runId).toBe(runId);
    expect(again.blackBox).toBeUndefined();
    expect(await again.run()).toEqual(outcome);
    expect(again.outcome()).toEqual(outcome);
    await again.close();
    expect(ledger.listRuns()).toHaveLength(1); // the session did not close a ledger it was given

    // a stored run without its function black box: refused, the new limit is not stored
    await expect(RunSession.open({ runId, store: ledger, limits: { maxCalls: 7 } })).rejects.toThrow(
      /function black box/,
    );
    expect(ledger.getRun(runId).config.maxCalls).toBeUndefined();
    const resumed = await RunSession.open({
      runId,
      store: ledger,
      limits: { maxCalls: 7 },
      blackBoxFunction,
    });
    expect(ledger.getRun(runId).config.maxCalls).toBe(7);
    await resumed.close();

    // read-only: the outcome, but no run
    ledger.setStatus(runId, "interrupted", "test");
    const readOnly = await RunSession.open({ runId: runId.slice(0, -1), store: ledger, readOnly: true });
    expect(readOnly.runId).toBe(runId);
    expect(readOnly.outcome().status).toBe("interrupted");
    await expect(readOnly.run()).rejects.toThrow(/read-only/);
    await readOnly.close();
    ledger.close();
  });
});
