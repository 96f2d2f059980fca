/**
 * What `npm pack` puts in the package: the license, README and the docs the CLI points at, the built
 * entry points, and no source map whose sources are missing. Needs dist/ built (`npm test` builds it).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../helpers/consumer.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("npm pack", () => {
  it("ships LICENSE, README, docs and dist, and no map without its sources", () => {
    expect(existsSync(join(PACKAGE_ROOT, "dist", "index.js")), "run `npm run build` first").toBe(true);
    // --ignore-scripts: no `prepare` build here (dist is built already)
    const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: PACKAGE_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
    for (const f of [
      "LICENSE",
      "README.md",
      "package.json",
      "docs/run-format.md",
      "docs/options.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
    ]) {
      expect(files.has(f), f).toBe(true);
    }
    expect([...files].filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
    // every map shipped must have its sources shipped too (today: no maps at all)
    for (const map of [...files].filter((f) => f.endsWith(".map"))) {
      const { sources } = JSON.parse(readFileSync(join(PACKAGE_ROOT, map), "utf8")) as { sources: string[] };
      for (const s of sources) {
        const source = posix.normalize(posix.join(dirname(map), s));
        expect(files.has(source), `${map} points at ${source}`).toBe(true);
      }
    }
    // and a shipped .js does not point at a map that is not shipped
    for (const js of [...files].filter((f) => f.endsWith(".js"))) {
      const m = readFileSync(join(PACKAGE_ROOT, js), "utf8").match(/\/\/# sourceMappingURL=(\S+)\s*$/);
      if (m && !m[1].startsWith("data:")) {
        const map = posix.normalize(posix.join(dirname(js), m[1]));
        expect(files.has(map), `${js} points at ${map}`).toBe(true);
      }
    }
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8"));
    expect(pkg.license).toBe("MIT");
    expect(pkg.repository).toEqual({
      type: "git",
      url: "git+https://github.com/instructzero/instructzero.git",
    });
    expect(readFileSync(join(PACKAGE_ROOT, "LICENSE"), "utf8")).toContain(
      "Copyright (c) 2026 the instructzero authors",
    );
  });
});
