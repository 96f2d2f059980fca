/**
 * `resume RUN --base-url URL`: the target's server moved; the new URL is stored with the run (like new
 * limits) once the run's dependencies open, and the run finishes against it (issue 21 item 6).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_HOME: join(fx.dir, "home") };
const servers: FakeOpenAI[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe("resume --base-url", () => {
  it("continues a run against the server's new URL and stores it", async () => {
    const old = await startFakeOpenAI({ answer: instructionQualityAnswer });
    servers.push(old);
    const ledger = join(fx.dir, "moved.sqlite");
    const first = await runCli(
      [
        ...["optimize", "--task", fx.taskFile, "--target", "openai:gpt-4o-mini", "--base-url", old.url],
        ...["--generator", fx.model, "--method", "uniform", "--validation-size", "5", "--budget", "6"],
        ...["--initial-points", "6", "--max-calls", "12", "--no-test", "--selection", "validation"],
        ...["--cache", join(fx.dir, "moved.cache.sqlite"), "--ledger", ledger, "--json"],
      ],
      { env },
    );
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out.status).toBe("stopped");
    await old.close();
    const moved = await startFakeOpenAI({ answer: instructionQualityAnswer });
    servers.push(moved);

    const bad = await runCli(["resume", out.runId, "--ledger", ledger, "--base-url", "notaurl"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/base URL "notaurl" from --base-url is not a valid URL/);

    const r = await runCli(
      [
        "resume",
        out.runId,
        "--ledger",
        ledger,
        "--base-url",
        `${moved.url}/`,
        "--max-calls",
        "100",
        "--json",
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("completed");
    expect(moved.stats().requests).toBeGreaterThan(0);
    const l = openLedger(ledger, { create: false, readonly: true });
    expect(l.getRun(out.runId).config.baseUrl).toBe(moved.url);
    l.close();
  });
});
