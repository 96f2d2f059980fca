/**
 * A set-up failure records no run and prints no "resume with" (issue 21 item 6): a task file whose
 * inputs are all duplicates (too few distinct examples for the splits) and an offline default target
 * (a local model not in the cache) fail before the run is recorded.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const home = join(fx.dir, "home");
const env = {
  INSTRUCTZERO_HOME: home,
  HF_HUB_OFFLINE: "1",
  HF_HOME: join(fx.dir, "hf"),
  OPENAI_API_KEY: "sk-test",
};

function runsIn(ledger: string): number {
  if (!existsSync(ledger)) return 0;
  const l = openLedger(ledger, { create: false, readonly: true });
  try {
    return l.listRuns().length;
  } finally {
    l.close();
  }
}

describe("set-up failures leave no run behind", () => {
  it("a file whose inputs are all duplicates", async () => {
    const dup = join(fx.dir, "dup.jsonl");
    writeFileSync(
      dup,
      `${Array.from({ length: 30 }, () => JSON.stringify({ input: "same", output: "emas" })).join("\n")}\n`,
    );
    const ledger = join(fx.dir, "dup.sqlite");
    const r = await runCli(
      [
        "optimize",
        "--task",
        dup,
        "--target",
        "openai:gpt-4o-mini",
        "--base-url",
        "http://127.0.0.1:9/v1",
      ].concat(["--generator", fx.model, "--ledger", ledger]),
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /m);
    expect(r.stderr).not.toMatch(/resume with/);
    expect(runsIn(ledger)).toBe(0);
  });

  it("an offline default target (a local model not in the cache)", async () => {
    const ledger = join(fx.dir, "offline.sqlite");
    const r = await runCli(["optimize", "--task", fx.taskFile, "--generator", fx.model, "--ledger", ledger], {
      env,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: /m);
    expect(r.stderr).not.toMatch(/resume with/);
    expect(runsIn(ledger)).toBe(0);
  });
});
