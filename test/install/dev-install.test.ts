/**
 * The repository's own install, as the README's "Install and test" says: npm warns about nothing in the
 * project's configuration (no unknown .npmrc keys), onnxruntime-node's CUDA download is skipped by
 * ONNXRUNTIME_NODE_INSTALL=skip (the variable its install script reads), which the README's command and
 * .ci/run set, and the README says first what to do when better-sqlite3 cannot fetch Node's headers.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
/** The "Install and test" section. */
const at = readme.indexOf("## Install and test");
const install = readme.slice(at, readme.indexOf("\n## ", at + 1));

describe("the development install", () => {
  it("npm warns about nothing in the project's configuration", () => {
    const home = mkdtempSync(join(tmpdir(), "iz-npm-home-"));
    const r = spawnSync("npm", ["config", "get", "registry"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: home },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|env) config/);
    if (existsSync(join(ROOT, ".npmrc")))
      expect(readFileSync(join(ROOT, ".npmrc"), "utf8")).not.toMatch(/^\s*onnxruntime-node-install/m);
  });

  it("the README's install command and .ci/run skip onnxruntime-node's CUDA download", () => {
    const first = install.match(/```sh\n([\s\S]*?)```/)?.[1] ?? "";
    expect(first.split("\n")[0]).toBe("ONNXRUNTIME_NODE_INSTALL=skip npm ci");
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    expect(ci.indexOf("export ONNXRUNTIME_NODE_INSTALL=skip")).toBeGreaterThan(-1);
    expect(ci.indexOf("export ONNXRUNTIME_NODE_INSTALL=skip")).toBeLessThan(ci.indexOf("npm ci"));
  });

  it("onnxruntime-node's install script reads that variable: it exits at once, downloading nothing", () => {
    const script = join(ROOT, "node_modules/onnxruntime-node/script/install.js");
    const r = spawnSync(process.execPath, [script], {
      encoding: "utf8",
      timeout: 20_000,
      // no proxy, no registry: a download attempt would fail or hang
      env: {
        PATH: process.env.PATH ?? "",
        HOME: mkdtempSync(join(tmpdir(), "iz-ort-")),
        ONNXRUNTIME_NODE_INSTALL: "skip",
      },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/download/i);
  });

  it("says first, in Install and test, what to do when npm ci fails offline (Node's headers)", () => {
    const firstParagraphs = install.slice(0, install.indexOf("Node >= 20."));
    expect(firstParagraphs).toMatch(/better-sqlite3/);
    expect(firstParagraphs).toMatch(/npm_config_nodedir=\/usr/);
    expect(firstParagraphs).toMatch(/apt-get install python3 make g\+\+/);
  });
});
