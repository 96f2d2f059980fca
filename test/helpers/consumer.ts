/**
 * A consumer project in a temp folder whose node_modules/instructzero links to this package, so a
 * script there imports only the built package's public exports (package.json "exports" -> dist/).
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, runNodeProcess } from "./cli.js";

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

/** Run `node file` in `dir` with a minimal environment (HOME = dir/home) plus `env`. */
export function runNode(dir: string, file: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runNodeProcess([file], { cwd: dir, env: { HOME: join(dir, "home"), ...env } });
}
