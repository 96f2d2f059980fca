/**
 * A consumer project in a temp folder whose node_modules/instructzero links to this package, so a
 * script there imports only the built package's public exports (package.json "exports" -> dist/).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Root of this package (what `import "instructzero"` resolves to). */
export const PACKAGE_ROOT = join(import.meta.dirname, "../..");

/** Make a consumer folder; returns its path. */
export function makeConsumer(prefix = "iz-consumer-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(PACKAGE_ROOT, join(dir, "node_modules", "instructzero"), "dir");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", type: "module", private: true }),
  );
  return dir;
}

/** Run `node file` in `dir` with a minimal environment plus `env`; resolves with exit code and output. */
export function runNode(
  dir: string,
  file: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: join(dir, "home"), ...env },
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
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
