/**
 * The built CLI: a reader that closes the pipe early (`instructzero ... | head`) ends the command quietly
 * (exit 0, nothing on stderr) for every command; a password on the command line draws one warning about
 * the process list; a store URL whose password holds an unencoded "#" is refused naming the fix, and no
 * part of the password is printed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";

const home = mkdtempSync(join(tmpdir(), "iz-epipe-"));

/** Run the CLI with its stdout pipe closed by the reader before anything is written. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: home, INSTRUCTZERO_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a closed stdout (EPIPE)", () => {
  it("ends every command quietly", async () => {
    for (const args of [["--help"], ["runs"], ["runs", "--json"], ["tasks", "--help"]]) {
      const r = await runWithClosedStdout(args);
      expect({ args, stderr: r.stderr }).toEqual({ args, stderr: "" });
      expect(r.code).toBe(0);
    }
  });
});

describe("store passwords on the command line", () => {
  it("warns once that the process list shows them, and never prints the password", async () => {
    const r = await runCli(["runs", "--store", "postgres://iz:hunter2zz@127.0.0.1:1/instructzero"], {
      env: { INSTRUCTZERO_HOME: home },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.match(/visible to every user of this machine/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/PGPASSWORD/);
    expect(r.stderr).not.toContain("hunter2zz");
  });

  it("does not warn for a URL without a password (PGPASSWORD from the environment)", async () => {
    const r = await runCli(["runs", "--store", "postgres://iz@127.0.0.1:1/instructzero"], {
      env: { INSTRUCTZERO_HOME: home, PGPASSWORD: "hunter2zz" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/visible to every user/);
    expect(r.stderr).not.toContain("hunter2zz");
  });

  it("refuses a password with an unencoded '#' naming the fix, printing none of it", async () => {
    const r = await runCli(["runs"], {
      env: {
        INSTRUCTZERO_HOME: home,
        INSTRUCTZERO_STORE: "postgres://iz:qw#erty/uiop@127.0.0.1:1/instructzero",
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/percent-encoded/);
    expect(r.stderr).toMatch(/%23/);
    for (const part of ["qw", "erty", "uiop"]) expect(r.stderr).not.toContain(part);
  });
});
