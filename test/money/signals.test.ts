/**
 * Runs are safe to stop: SIGTERM is handled like Ctrl-C (stop after the evaluations under way, exit 130,
 * resumable); a second signal quits at once and leaves the run resumable; Ctrl-C in the test phase
 * stops it; a read-only ledger can still be listed, shown and reported (as root: by root without the
 * capabilities that bypass file permissions).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { CLI, runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
const isTest = (prompt: string) => prompt.includes("\n\nOUTPUT: ");

function args(server: FakeOpenAI, name: string, extra: string[] = []): string[] {
  return [
    "optimize",
    ...[
      "--task",
      fx.taskFile,
      "--target",
      "openai:gpt-4o-mini",
      "--base-url",
      server.url,
      "--generator",
      fx.model,
    ],
    ...[
      "--method",
      "uniform",
      "--budget",
      "8",
      "--initial-points",
      "4",
      "--batch-size",
      "4",
      "--validation-size",
      "5",
    ],
    ...["--cache", join(fx.dir, `${name}.cache.sqlite`), "--ledger", join(fx.dir, `${name}.ledger.sqlite`)],
    ...["--json", ...extra],
  ];
}

/** Send `signals` (one after the other) once `when()` holds. */
function signalWhen(when: () => boolean, signals: NodeJS.Signals[]) {
  return (kill: (s: NodeJS.Signals) => void) => {
    const timer = setInterval(() => {
      if (!when()) return;
      clearInterval(timer);
      signals.forEach((s, i) => {
        setTimeout(() => kill(s), i * 30);
      });
    }, 2);
  };
}

describe("stopping a run", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 150 });
  });
  afterAll(() => server.close());

  it.each([
    ["SIGTERM once", ["SIGTERM"]],
    ["Ctrl-C twice", ["SIGINT", "SIGINT"]],
  ] as [string, NodeJS.Signals[]][])(
    "%s: exit 130, the run shows as interrupted and resumes",
    async (label, signals) => {
      const name = label.replace(/\W+/g, "-");
      const from = server.requests.length;
      const r = await runCli(args(server, name, ["--no-test"]), {
        env,
        onSpawn: signalWhen(() => server.requests.length - from >= 3, signals),
      });
      expect(r.code, r.stderr).toBe(130);
      const runId = /run (\S+) \(resume/.exec(r.stderr)?.[1] ?? "";
      const ledger = join(fx.dir, `${name}.ledger.sqlite`);
      const runs = await runCli(["runs", "--ledger", ledger, "--json"], { env });
      expect(JSON.parse(runs.stdout)[0]).toMatchObject({ id: runId, status: "interrupted" });
      const resumed = await runCli(["resume", runId, "--ledger", ledger, "--json"], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).status).toBe("completed");
    },
  );

  it("Ctrl-C in the test phase stops it (no further test query is sent)", async () => {
    const name = "test-phase";
    const from = server.requests.length;
    const testQueries = () => server.requests.slice(from).filter((e) => isTest(e.prompt)).length;
    const r = await runCli(args(server, name, ["--concurrency", "2"]), {
      env,
      onSpawn: signalWhen(() => testQueries() >= 1, ["SIGINT"]),
    });
    expect(r.code, r.stderr).toBe(130);
    await new Promise((res) => setTimeout(res, 400)); // anything still queued would arrive by now
    // 10 test examples at concurrency 2: only those already sent (at most 2 + 2 in the next slot) went out
    expect(testQueries()).toBeLessThanOrEqual(4);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("interrupted");
  });
});

describe("a read-only ledger", () => {
  it("can be listed, shown and reported by a user who cannot write it", async () => {
    const server = await startFakeOpenAI({ answer: instructionQualityAnswer });
    try {
      const made = await runCli(args(server, "ro", ["--no-test"]), { env });
      expect(made.code, made.stderr).toBe(0);
      const runId = JSON.parse(made.stdout).runId as string;
      const dir = join(fx.dir, "readonly");
      mkdirSync(dir);
      const file = join(dir, "runs.sqlite");
      copyFileSync(join(fx.dir, "ro.ledger.sqlite"), file);
      chmodSync(file, 0o444);
      chmodSync(dir, 0o555);
      chmodSync(fx.dir, 0o755); // a temp folder is private to its owner
      // root ignores permissions: run the CLI as root without the capabilities that bypass them
      // (owner root, mode 0444 in a 0555 folder: it cannot write), not as another user, who may not
      // be able to reach the checkout (a clone in a private folder)
      const asUser =
        process.getuid?.() === 0
          ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
          : [];
      const cli = (...a: string[]) => {
        const [cmd, ...rest] = [...asUser, process.execPath, CLI, ...a];
        return spawnSync(cmd, rest, {
          encoding: "utf8",
          env: { PATH: process.env.PATH ?? "", HOME: "/tmp" },
        });
      };
      // the CLI below really cannot write the ledger
      const [sh, ...shArgs] = [...asUser, "sh", "-c", 'printf x >> "$0"', file];
      expect(spawnSync(sh, shArgs, { encoding: "utf8" }).status).not.toBe(0);
      const runs = cli("runs", "--ledger", file, "--json");
      expect(runs.status, runs.stderr).toBe(0);
      expect(JSON.parse(runs.stdout)[0].id).toBe(runId);
      const show = cli("show", runId, "--ledger", file);
      expect(show.status, show.stderr).toBe(0);
      const report = cli("report", runId, "--ledger", file, "--json", "--out", "-");
      expect(report.status, report.stderr).toBe(0);
      expect(JSON.parse(report.stdout).run.id).toBe(runId);
      chmodSync(dir, 0o755);
    } finally {
      await server.close();
    }
  });
});
