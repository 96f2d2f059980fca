/**
 * `batchApi` inside real runs: the library (optimizeInstruction) against the fake OpenAI Batch API with
 * the micro test generator: every uncached request goes through batches, each request is submitted once,
 * totals and the spend log are at the batch price, a cost cap holds at batch prices, the batches are in
 * the run's ledger; and the CLI killed with SIGKILL while a batch is polled, then `resume`: the recorded
 * batch is polled by the resumed process, no request is submitted twice.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimateTokens, instructionSensitiveAnswer } from "../../fixtures/fake-openai.js";
import { optimizeInstruction } from "../../src/api/optimize-instruction.js";
import { estimateCost } from "../../src/blackbox/pricing.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { openLedger } from "../../src/store/ledger.js";
import { CLI, runCli } from "../helpers/cli.js";
import { type FakeBatchOpenAI, startFakeBatchOpenAI } from "../helpers/fake-batch-openai.js";

const examples = [
  "hot",
  "big",
  "fast",
  "happy",
  "up",
  "light",
  "open",
  "early",
  "old",
  "high",
  "strong",
  "rich",
  "wet",
  "full",
  "hard",
  "loud",
  "long",
  "win",
  "love",
  "good",
].map((w) => ({ input: w, output: "x" }));

let dir: string;
let model: string;
const saved = { ...process.env };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iz-batch-run-"));
  model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
  process.env.OPENAI_API_KEY = "sk-test";
  delete process.env.OPENAI_BASE_URL;
});
afterAll(() => {
  process.env = saved;
});

/** Dollars of every line the server answered, at `factor` x the table price. */
function paidAt(server: FakeBatchOpenAI, factor: number): number {
  let cost = 0;
  for (const l of server.lines()) {
    const text = instructionSensitiveAnswer({
      n: 0,
      api: "openai",
      model: "gpt-4o-mini",
      prompt: l.prompt,
      body: l.body,
    });
    cost += estimateCost("openai:gpt-4o-mini", {
      inputTokens: estimateTokens(l.prompt),
      outputTokens: estimateTokens(text),
    }).costUsd;
  }
  return cost * factor;
}

function expectSubmittedOnce(server: FakeBatchOpenAI): void {
  const ids = server.lines().map((l) => l.customId);
  expect(new Set(ids).size).toBe(ids.length);
}

describe("--batch-api in a run", () => {
  it("optimizeInstruction: requests go through batches, once each, at the batch price; batches in the ledger", async () => {
    const server = await startFakeBatchOpenAI();
    try {
      const store = join(dir, "lib.sqlite");
      const r = await optimizeInstruction({
        examples,
        blackBox: "openai:gpt-4o-mini",
        baseUrl: server.url,
        generator: model,
        method: "uniform",
        budget: 6,
        initialPoints: 3,
        batchSize: 3,
        validationSize: 4,
        selection: "validation",
        test: false,
        batchApi: true,
        batchPollMs: 1,
        store,
        cache: join(dir, "lib.cache.sqlite"),
      } as never);
      expect(r.status).toBe("completed");
      expect(server.stats().batchesCreated).toBeGreaterThan(0);
      expectSubmittedOnce(server);
      expect(r.totals.calls).toBe(server.lines().length);
      expect(r.totals.costUsd).toBeCloseTo(paidAt(server, 0.5), 12);
      const ledger = openLedger(store);
      try {
        const jobs = ledger.batchJobs(r.runId);
        expect(jobs.length).toBe(server.stats().batchesCreated);
        expect(jobs.every((j) => j.status === "collected" && j.batchId !== null)).toBe(true);
      } finally {
        ledger.close();
      }
    } finally {
      await server.close();
    }
  });

  it("a cost cap holds at batch prices", async () => {
    const server = await startFakeBatchOpenAI();
    try {
      const maxCost = 0.00002;
      const r = await optimizeInstruction({
        examples,
        blackBox: "openai:gpt-4o-mini",
        baseUrl: server.url,
        generator: model,
        method: "uniform",
        budget: 30,
        initialPoints: 30,
        validationSize: 4,
        selection: "validation",
        test: false,
        batchApi: true,
        batchPollMs: 1,
        maxCost,
        store: false,
        cache: false,
      } as never);
      expect(r.status).toBe("stopped");
      expect(r.reason).toMatch(/--max-cost/);
      expect(r.totals.costUsd).toBeLessThanOrEqual(maxCost);
      expect(r.totals.costUsd).toBeCloseTo(paidAt(server, 0.5), 12);
      expectSubmittedOnce(server);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!existsSync(CLI))(
    "the CLI killed (SIGKILL) while a batch file uploads: nothing was billable, the resumed run counts each request once",
    async () => {
      // the first upload hangs: the process is killed while the provider has no batch of these requests
      let hold = true;
      const server = await startFakeBatchOpenAI({ holdUpload: () => hold });
      try {
        const ledgerPath = join(dir, "upload-kill.sqlite");
        const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(dir, "home") };
        const taskFile = join(dir, "antonyms-upload.jsonl");
        const { writeFileSync } = await import("node:fs");
        writeFileSync(taskFile, `${examples.map((e) => JSON.stringify(e)).join("\n")}\n`);
        const common = ["--ledger", ledgerPath];
        const killed = await runCli(
          [
            "optimize",
            ...["--task", taskFile, "--target", "openai:gpt-4o-mini", "--base-url", server.url],
            ...["--generator", model, "--method", "uniform", "--budget", "6", "--initial-points", "3"],
            ...["--batch-size", "3", "--validation-size", "4", "--selection", "validation", "--no-test"],
            ...["--batch-api", "--batch-poll-ms", "5"],
            ...["--cache", join(dir, "upload-kill.cache.sqlite"), ...common, "--json"],
          ],
          {
            env,
            onSpawn: (kill) => {
              const t = setInterval(() => {
                if (server.stats().uploadsHeld >= 1) {
                  clearInterval(t);
                  kill("SIGKILL");
                }
              }, 5);
            },
          },
        );
        expect(killed.signal, killed.stderr).toBe("SIGKILL");
        expect(server.stats().batchesCreated).toBe(0);
        const runId = /run (\S+) \(resume/.exec(killed.stderr)?.[1] ?? "";
        expect(runId).not.toBe("");
        hold = false;
        const resumed = await runCli(["resume", runId, ...common, "--json"], { env });
        expect(resumed.code, resumed.stderr).toBe(0);
        const out = JSON.parse(resumed.stdout);
        expect(out.status).toBe("completed");
        expect(server.lines().length).toBeGreaterThan(0);
        // every request the provider ran is counted once: none twice for the killed upload
        expect(out.totals.calls).toBe(server.lines().length);
      } finally {
        await server.close();
      }
    },
  );

  it.skipIf(!existsSync(CLI))(
    "the CLI killed (SIGKILL) while a batch is polled; resume polls it, submits nothing twice",
    async () => {
      // the first batch stays in progress long enough to be killed while it is polled
      const server = await startFakeBatchOpenAI({
        script: (n) =>
          (n === 1
            ? ["validating", ...Array(400).fill("in_progress"), "finalizing", "completed"]
            : undefined) ?? ["validating", "in_progress", "completed"],
      });
      try {
        const ledgerPath = join(dir, "cli.sqlite");
        const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(dir, "home") };
        const taskFile = join(dir, "antonyms.jsonl");
        const { writeFileSync } = await import("node:fs");
        writeFileSync(taskFile, `${examples.map((e) => JSON.stringify(e)).join("\n")}\n`);
        const common = ["--ledger", ledgerPath];
        const killed = await runCli(
          [
            "optimize",
            ...[
              "--task",
              taskFile,
              "--target",
              "openai:gpt-4o-mini",
              "--base-url",
              server.url,
              "--generator",
              model,
            ],
            ...[
              "--method",
              "uniform",
              "--budget",
              "6",
              "--initial-points",
              "3",
              "--batch-size",
              "3",
              "--validation-size",
              "4",
            ],
            ...["--selection", "validation", "--no-test", "--batch-api", "--batch-poll-ms", "5"],
            ...["--cache", join(dir, "cli.cache.sqlite"), ...common, "--json"],
          ],
          {
            env,
            onSpawn: (kill) => {
              const t = setInterval(() => {
                if (server.batches[0] && server.stats().retrieves >= 5) {
                  clearInterval(t);
                  kill("SIGKILL");
                }
              }, 5);
            },
          },
        );
        expect(killed.signal, killed.stderr).toBe("SIGKILL");
        const runId = /run (\S+) \(resume/.exec(killed.stderr)?.[1] ?? "";
        expect(runId).not.toBe("");
        const created = server.stats().batchesCreated;
        expect(created).toBe(1);
        const retrievesAtKill = server.stats().retrieves;

        const resumed = await runCli(["resume", runId, ...common, "--json"], { env });
        expect(resumed.code, resumed.stderr).toBe(0);
        const out = JSON.parse(resumed.stdout);
        expect(out.status).toBe("completed");
        expect(server.stats().retrieves).toBeGreaterThan(retrievesAtKill); // the recorded batch was polled again
        expect(server.batches[0].status).toBe("completed");
        expectSubmittedOnce(server);
        // the killed process logged batch 1's requests as sent: counted (lost, worst case at the batch price);
        // the resumed process does not count them again
        expect(out.totals.calls).toBe(server.lines().length);
      } finally {
        await server.close();
      }
    },
  );
});
