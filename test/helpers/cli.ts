import { spawn } from "node:child_process";
import { join } from "node:path";

/** Path of the built CLI (the test command builds dist/ first). */
export const CLI = join(import.meta.dirname, "../../dist/cli/main.js");

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the built CLI asynchronously (so servers in the test process keep answering).
 * `env` is added to a minimal environment (no inherited API keys or caches).
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void } = {},
): Promise<CliResult> {
  return runNodeProcess([CLI, ...args], options);
}

/**
 * Run `node ...args` asynchronously with a minimal environment (PATH, HOME) plus `env`, collecting its
 * output. `cwd` defaults to the test's.
 */
export function runNodeProcess(
  args: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onSpawn?.((signal) => child.kill(signal));
  });
}
