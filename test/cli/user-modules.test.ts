/**
 * CLI parity for the user's own pipeline and metric: `--black-box FILE.mjs` and `--metric FILE.mjs`
 * (recorded with path and sha256; a resume with a changed file is refused), `--config FILE` (relative
 * paths taken from the file's folder, flags override it, misspelt or mistyped fields are errors naming
 * the file and the field), and flag value errors.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer } from "../../fixtures/optimize.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord, RunRecord } from "../../src/store/types.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "iz-modules-"));
const taskFile = join(dir, "reverse.jsonl");
const pipeline = join(dir, "pipeline.mjs");
const metric = join(dir, "metric.mjs");

const reverse = (w: string) => [...w].reverse().join("");
writeFileSync(
  taskFile,
  Array.from({ length: 30 }, (_, i) =>
    JSON.stringify({ input: `word${i}`, output: reverse(`word${i}`) }),
  ).join("\n") + "\n",
);
// The answer depends on the instruction (and the input): some instructions score better than others.
const PIPELINE_SOURCE = `import { createHash } from "node:crypto";
const byte = (s) => createHash("sha256").update(s).digest()[0];
export default async ({ instruction, input }) => {
  const good = (byte(instruction) + byte(input)) % 2 === 0;
  return good ? [...input].reverse().join("") : input;
};
`;
writeFileSync(pipeline, PIPELINE_SOURCE);
const METRIC_SOURCE = `export default ({ prediction, example }) => ({
  score: prediction === example.output ? 1 : 0,
  feedback: prediction === example.output ? "ok" : "expected " + example.output,
});
`;
writeFileSync(metric, METRIC_SOURCE);

/** Small-run flags shared by the tests. */
const SMALL = ["--budget", "6", "--initial-points", "3", "--batch-size", "3", "--validation-size", "5"];

function stored(ledgerFile: string, runId: string): { run: RunRecord; evaluations: EvaluationRecord[] } {
  const ledger = openLedger(ledgerFile, { create: false });
  try {
    return { run: ledger.getRun(runId), evaluations: ledger.evaluations(runId) };
  } finally {
    ledger.close();
  }
}

describe("user modules and --config on the CLI", () => {
  let server: FakeOpenAI;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer });
    env = {
      OPENAI_API_KEY: "test",
      OPENAI_BASE_URL: server.url,
      INSTRUCTZERO_CACHE: join(dir, "cache.sqlite"),
      INSTRUCTZERO_HOME: join(dir, "home"),
    };
  });
  afterAll(() => server?.close());

  /** `optimize` of the user's pipeline and metric with APE proposals from the fake server. */
  const apeArgs = (ledger: string, extra: string[] = []) => [
    "optimize",
    ...["--task", taskFile, "--black-box", pipeline, "--metric", metric],
    ...["--method", "ape", "--proposer", "openai:gpt-4o-mini", ...SMALL],
    ...["--ledger", ledger, "--json", ...extra],
  ];

  it("--metric judge:provider:model --rubric FILE: the rubric text is stored, the judge is in the dry-run plan", async () => {
    const rubric = join(dir, "rubric.txt");
    writeFileSync(rubric, "The output is the input written backwards.\n");
    const judgeArgs = ["optimize", "--task", taskFile, "--black-box", pipeline, "--method", "ape"];
    const r = await runCli(
      [
        ...judgeArgs,
        "--proposer",
        "openai:gpt-4o-mini",
        ...SMALL,
        "--metric",
        "judge:openai:gpt-4o-mini",
      ].concat(["--rubric", rubric, "--dry-run", "--json"]),
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.config.rubric).toBe("The output is the input written backwards.");
    const p = out.plan;
    expect(p.judgeCalls).toBe(
      p.validationCalls + p.initCalls + p.selectionCalls + p.baselineCalls + p.testCalls,
    );
    expect(p.validationCalls).toBe(6 * 5);
    expect(out.plan.judgeCostUsd).toBeGreaterThan(0);
    const text = await runCli(
      [
        ...judgeArgs,
        "--proposer",
        "openai:gpt-4o-mini",
        ...SMALL,
        "--metric",
        "judge:openai:gpt-4o-mini",
        "--rubric",
        rubric,
        "--dry-run",
      ],
      { env },
    );
    expect(text.stdout).toMatch(/judge calls +at most \d+ \(openai:gpt-4o-mini\)/);
    const noRubric = await runCli([...judgeArgs, "--metric", "judge:openai:gpt-4o-mini", "--dry-run"], {
      env,
    });
    expect(noRubric.code).toBe(2);
    expect(noRubric.stderr).toContain("needs a rubric (--rubric FILE)");
  });

  it("optimize --black-box pipeline.mjs --metric metric.mjs --method ape", async () => {
    const ledger = join(dir, "ape.sqlite");
    const r = await runCli(apeArgs(ledger), { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("completed");
    expect(out.totals.evaluations).toBe(6);
    expect(out.test).not.toBeNull();
    expect(out.test.feedback.every((f: string) => f === "ok" || f.startsWith("expected "))).toBe(true);

    const { run, evaluations } = stored(ledger, out.runId);
    const sha = /^[0-9a-f]{64}$/;
    expect(run.config.blackBoxModule).toEqual({ path: pipeline, sha256: expect.stringMatching(sha) });
    expect(run.config.metricModule).toEqual({ path: metric, sha256: expect.stringMatching(sha) });
    expect(run.config.target).toMatch(/^function:module-[0-9a-f]{16}$/);
    expect(run.config.proposer).toBe("openai:gpt-4o-mini");
    expect(run.config.taskFile).toBe(taskFile);
    expect(evaluations).toHaveLength(6);
    for (const e of evaluations) {
      expect(e.feedback).toHaveLength(5);
      for (const [i, f] of e.feedback!.entries())
        expect(f).toMatch(e.scores[i] === 1 ? /^ok$/ : /^expected \d+drow$/);
    }
    // the instructions came from the proposer (the fake server), the answers from the pipeline
    expect(evaluations.every((e) => /write the word backwards/.test(e.instruction))).toBe(true);
    expect(server.requests.every((q) => q.prompt.startsWith("I gave a friend an instruction"))).toBe(true);

    const report = await runCli(["report", out.runId, "--json", "--out", "-", "--ledger", ledger], { env });
    expect(report.code, report.stderr).toBe(0);
    const exp = JSON.parse(report.stdout);
    expect(exp.run.id).toBe(out.runId);
    expect(exp.config.blackBoxModule.path).toBe(pipeline);
    expect(exp.config.metricModule.path).toBe(metric);
    expect(exp.evaluations).toHaveLength(6);
  });

  it("optimize --method uniform with a module black box (soft-prompt path, micro generator)", async () => {
    const model = join(dir, "micro");
    buildTestModel(model, { preset: "micro", seed: 0 });
    const ledger = join(dir, "uniform.sqlite");
    const before = server.requests.length;
    const r = await runCli(
      [
        "optimize",
        ...["--task", taskFile, "--black-box", pipeline, "--metric", metric],
        ...["--method", "uniform", "--generator", model, "--instruction-tokens", "8"],
        ...["--budget", "4", "--initial-points", "4", "--validation-size", "5"],
        ...["--ledger", ledger, "--json"],
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("completed");
    expect(out.totals.evaluations).toBe(4);
    const { run, evaluations } = stored(ledger, out.runId);
    expect(run.config.blackBoxModule?.path).toBe(pipeline);
    expect(run.config.metricModule?.path).toBe(metric);
    expect(run.config.generator).toBe(model);
    expect(evaluations).toHaveLength(4);
    for (const e of evaluations) {
      expect(e.z).toHaveLength(10);
      expect(e.feedback).toHaveLength(5);
    }
    expect(server.requests.length).toBe(before); // no API model involved
  });

  it("resume refuses a changed module (exit 2 naming the file) and proceeds once it is restored", async () => {
    const ledger = join(dir, "changed.sqlite");
    // 8 paid calls: the first candidate's proposal and 5 answers, then the budget stops the run
    const r = await runCli(apeArgs(ledger, ["--max-calls", "8", "--no-cache"]), { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("stopped");
    expect(out.reason).toMatch(/--max-calls 8/);
    const stoppedAt = stored(ledger, out.runId).evaluations.length;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(6);

    appendFileSync(pipeline, "// edited\n");
    try {
      const refused = await runCli(["resume", out.runId, "--ledger", ledger, "--max-calls", "1000"], { env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(pipeline);
      expect(refused.stderr).toMatch(/black-box module .* changed since run/);
      expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const after = stored(ledger, out.runId);
      expect(after.evaluations).toHaveLength(stoppedAt);
      expect(after.run.status).toBe("stopped");
    } finally {
      writeFileSync(pipeline, PIPELINE_SOURCE);
    }

    appendFileSync(metric, "// edited\n");
    try {
      const refused = await runCli(["resume", out.runId, "--ledger", ledger], { env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(metric);
      expect(refused.stderr).toMatch(/metric module .* changed/);
    } finally {
      writeFileSync(metric, METRIC_SOURCE);
    }

    const resumed = await runCli(["resume", out.runId, "--ledger", ledger, "--max-calls", "1000", "--json"], {
      env,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = JSON.parse(resumed.stdout);
    expect(done.status).toBe("completed");
    expect(done.totals.evaluations).toBe(6);
  });

  describe("--config FILE", () => {
    // the config file lives in its own folder; the CLI runs elsewhere (the repository root)
    const confDir = join(dir, "conf");
    mkdirSync(join(confDir, "data"), { recursive: true });
    writeFileSync(join(confDir, "data", "reverse.jsonl"), readFileSync(taskFile));
    writeFileSync(join(confDir, "pipeline.mjs"), PIPELINE_SOURCE);
    writeFileSync(join(confDir, "metric.mjs"), METRIC_SOURCE);
    const base = {
      task: "data/reverse.jsonl",
      blackBox: "pipeline.mjs",
      metric: "metric.mjs",
      method: "ape",
      proposer: "openai:gpt-4o-mini",
      budget: 6,
      initialPoints: 3,
      batchSize: 3,
      validationSize: 5,
      seed: 3,
    };
    const configFile = (name: string, content: unknown) => {
      const file = join(confDir, name);
      writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
      return file;
    };

    it("reads the options, resolves relative paths against its folder, and flags override it", async () => {
      const file = configFile("run.json", base);
      const ledger = join(dir, "config.sqlite");
      const r = await runCli(["optimize", "--config", file, "--budget", "3", "--ledger", ledger, "--json"], {
        env,
      });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe("completed");
      expect(out.totals.evaluations).toBe(3);
      const { run } = stored(ledger, out.runId);
      expect(run.config.budget).toBe(3); // the flag
      expect(run.config.seed).toBe(3); // the file
      expect(run.config.initialPoints).toBe(3);
      expect(run.config.method).toBe("ape");
      expect(run.config.taskFile).toBe(join(confDir, "data", "reverse.jsonl"));
      expect(run.config.blackBoxModule?.path).toBe(join(confDir, "pipeline.mjs"));
      expect(run.config.metricModule?.path).toBe(join(confDir, "metric.mjs"));

      // without the flag, the file's budget (checked without spending: --dry-run)
      const dry = await runCli(["optimize", "--config", file, "--dry-run", "--json"], { env });
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout).config.budget).toBe(6);
    });

    it("a relative generator folder is taken from the config file's folder", async () => {
      const file = configFile("generator.json", { ...base, method: "uniform", generator: "models/micro" });
      const r = await runCli(["optimize", "--config", file, "--dry-run", "--json"], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).config.generator).toBe(join(confDir, "models", "micro"));
    });

    it("a misspelt field: exit 2 naming the file, the field and the likely one", async () => {
      const { budget: _b, ...rest } = base;
      const file = configFile("misspelt.json", { ...rest, budgt: 5 });
      const r = await runCli(["optimize", "--config", file, "--dry-run"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain('unknown field "budgt"');
      expect(r.stderr).toContain('did you mean "budget"');
    });

    it("a wrong type or value: exit 2 naming the field", async () => {
      const typed = await runCli(
        ["optimize", "--config", configFile("typed.json", { ...base, budget: "six" }), "--dry-run"],
        { env },
      );
      expect(typed.code).toBe(2);
      expect(typed.stderr).toContain(join(confDir, "typed.json"));
      expect(typed.stderr).toMatch(/field "budget"/);
      expect(typed.stderr).toContain('"six"');

      const zero = await runCli(
        ["optimize", "--config", configFile("zero.json", { ...base, budget: 0 }), "--dry-run"],
        { env },
      );
      expect(zero.code).toBe(2);
      expect(zero.stderr).toMatch(/field "budget"/);

      const notJson = await runCli(
        ["optimize", "--config", configFile("broken.json", "{ budget: 6"), "--dry-run"],
        {
          env,
        },
      );
      expect(notJson.code).toBe(2);
      expect(notJson.stderr).toContain(join(confDir, "broken.json"));
    });
  });

  it("a bad flag value exits 2 with a message naming the flag (like the same value in a config file)", async () => {
    const r = await runCli(["optimize", "--task", taskFile, "--budget", "0", "--dry-run"], { env });
    expect(r.stderr).toMatch(/--budget must be an integer >= 1/);
    expect(r.code).toBe(2);
  });
});
