/**
 * The ledger across processes. A process killed with SIGKILL while appending leaves a consistent,
 * reopenable ledger: every record it reported as appended is there, indices are contiguous, and
 * resuming appends the rest. Several processes can write to one ledger at once. The writers are the
 * built library (dist/, made by `npm test`'s build step) in child processes.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { makeConfig } from "./synthetic.js";

const LEDGER_JS = resolve("dist/store/ledger.js");

/**
 * Child: append records 0,1,2,... (each in a transaction with a checkpoint) to run `runId` (or to a
 * new run when runId is "new"), printing each index done; stops after `limit` records if given.
 */
const WRITER = `
import { openLedger } from ${JSON.stringify(pathToFileURL(LEDGER_JS).href)};
const [file, runArg, limit] = process.argv.slice(1);
const ledger = openLedger(file);
const runId = runArg === "new"
  ? ledger.createRun({ task: "t" + process.pid, target: "local:x", method: "uniform", budget: 9, seed: 0, nTokens: 5,
      intrinsicDim: 10, batchMode: "reference", initialPoints: 1, batchSize: 1, validationSize: 4 })
  : runArg;
for (let i = 0; i < Number(limit ?? Infinity); i++) {
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

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("ledger after SIGKILL", () => {
  it("keeps every completed append and stays consistent", async () => {
    if (!existsSync(LEDGER_JS)) throw new Error(`${LEDGER_JS} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), "iz-crash-"));
    const file = join(dir, "runs.sqlite");
    const setup = openLedger(file);
    const id = setup.createRun(makeConfig());
    setup.close();

    const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, file, id], {
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
        if (lastDone >= 150 && !child.killed) {
          child.kill("SIGKILL");
          done();
        }
      });
      child.on("exit", () => (lastDone >= 150 ? done() : fail(new Error(`writer exited early: ${stderr}`))));
    });
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(null) : child.on("exit", r),
    );
    expect(child.signalCode).toBe("SIGKILL");

    const ledger = openLedger(file);
    const evs = ledger.evaluations(id);
    expect(evs.length).toBeGreaterThanOrEqual(lastDone + 1);
    expect(evs.map((e) => e.index)).toEqual([...Array(evs.length).keys()]);
    // The checkpoint was written in the same transaction as the last record.
    expect(ledger.getState(id, "next")).toBe(evs.length);
    // Resuming: re-appending the last record is a no-op, the next index appends.
    const last = evs[evs.length - 1];
    expect(ledger.appendEvaluation(id, last)).toBe(false);
    expect(ledger.appendEvaluation(id, { ...last, index: evs.length })).toBe(true);
    // its process died: the run shows as interrupted (resumable)
    expect(ledger.getRun(id).status).toBe("interrupted");
    ledger.close();
  });

  it("takes writes from several processes at once", async () => {
    if (!existsSync(LEDGER_JS)) throw new Error(`${LEDGER_JS} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), "iz-multi-"));
    const file = join(dir, "runs.sqlite"); // created by whichever child comes first
    const runChild = () =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const c = spawn(process.execPath, ["--input-type=module", "-e", WRITER, file, "new", "150"], {
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        c.stderr.on("data", (d) => {
          stderr += d;
        });
        c.on("exit", (code) => done({ code, stderr }));
      });
    const results = await Promise.all([runChild(), runChild(), runChild()]);
    expect(results).toEqual([0, 1, 2].map(() => ({ code: 0, stderr: "" })));
    const ledger = openLedger(file);
    const runs = ledger.listRuns();
    expect(runs).toHaveLength(3);
    expect(new Set(runs.map((r) => r.id)).size).toBe(3);
    for (const r of runs) {
      expect(r.evaluations).toBe(150);
      expect(ledger.getState(r.id, "next")).toBe(150);
    }
    ledger.close();
  });
});
