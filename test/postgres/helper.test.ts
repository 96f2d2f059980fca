/** The throwaway cluster helper fails loudly (never skips) when PostgreSQL cannot start. */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findPostgresBin, startPostgres } from "../helpers/postgres.js";

describe("test PostgreSQL helper", () => {
  it("finds the server binaries on this machine (CI installs Debian's postgresql package)", () => {
    expect(
      findPostgresBin(),
      "PostgreSQL server binaries not found: apt-get install -y postgresql (.ci/run does it)",
    ).toBeDefined();
  });

  it("says what is missing and how to install it when there are no binaries", async () => {
    await expect(startPostgres({ bin: "/nonexistent/postgresql/bin" })).rejects.toThrow(
      /initdb, pg_ctl\) were not found.*apt-get install -y postgresql/s,
    );
  });

  it("says why when initdb fails", async () => {
    const bin = mkdtempSync(join(tmpdir(), "iz-fake-pg-"));
    chmodSync(bin, 0o755); // run as nobody when the tests run as root
    for (const tool of ["initdb", "pg_ctl"])
      writeFileSync(join(bin, tool), "#!/bin/sh\necho 'initdb: broken on purpose' >&2\nexit 3\n", {
        mode: 0o755,
      });
    await expect(startPostgres({ bin })).rejects.toThrow(
      /could not start.*initdb.*exit 3.*broken on purpose/s,
    );
  });
});
