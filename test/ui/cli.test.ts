/**
 * `instructzero ui` as a command: it prints the address to open, serves the store named by --ledger,
 * stops on Ctrl-C with exit code 0; a missing store or a bad port is an input error (exit 2). Needs
 * `npm run build`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger } from "../../src/store/ledger.js";
import { CLI, runCli } from "../helpers/cli.js";
import { makeConfig, makeRecord } from "../store/synthetic.js";

const dir = mkdtempSync(join(tmpdir(), "iz-ui-cli-"));

describe("instructzero ui", () => {
  it("prints its address, serves the store and stops on Ctrl-C with exit code 0", async () => {
    const file = join(dir, "runs.sqlite");
    const ledger = openLedger(file);
    const id = ledger.createRun(makeConfig());
    ledger.appendEvaluation(id, makeRecord(0));
    ledger.close();
    const child = spawn(process.execPath, [CLI, "ui", "--ledger", file, "--port", "0"], {
      env: { PATH: process.env.PATH ?? "", HOME: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.on("exit", () => reject(new Error(`ui exited: ${stderr}`)));
    });
    expect(stdout).toContain(`reading ${file} (read-only)`);
    expect(stdout).not.toContain("token");
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-run="${id}"`);
    child.kill("SIGINT");
    expect(await exit, stderr).toBe(0);
  });

  it("says so when there is no store, or the port is not one (exit 2)", async () => {
    const none = await runCli(["ui", "--ledger", join(dir, "missing.sqlite"), "--port", "0"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no run ledger at");
    const bad = await runCli(["ui", "--ledger", join(dir, "missing.sqlite"), "--port", "-1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--port must be an integer >= 0");
  });
});
