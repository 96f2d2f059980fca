import { describe, expect, it } from "vitest";
import { exportRun } from "../../src/report/export.js";
import { formatRunDetails, runsTable } from "../../src/report/text.js";
import { openLedger } from "../../src/store/ledger.js";
import { fmtDuration, fmtInt, fmtUsd, oneLine } from "../../src/util/format.js";
import { fillRun } from "../store/synthetic.js";
import { makeInjectedRun, PAYLOADS } from "./fixture.js";

describe("text views", () => {
  it("prints a run's status, best instruction, scores, cost and top instructions", () => {
    const ledger = openLedger(":memory:");
    const id = makeInjectedRun(ledger);
    const text = formatRunDetails(exportRun(ledger, id), 3);
    ledger.close();
    expect(text).toContain(`Run ${id} (completed: ${PAYLOADS.quotes})`);
    expect(text).toContain("Chosen instruction (evaluation 9, iteration 1):");
    expect(text).toContain(`  ${PAYLOADS.script}\n  validation 1.000, test 0.500`);
    expect(text).toContain("cost $0.0123, wall time 1 min 05 s");
    expect(text).toMatch(/Top instructions \(3 of \d+\):\n {4}1 {2}1\.000 {2}<script>/);
    expect(text).toContain("  batchMode: reference");
    expect(text).not.toContain("\u001b");
  });

  it("neutralises terminal escape sequences in untrusted text", () => {
    expect(oneLine(`a\n\tb ${PAYLOADS.ansi}`, 100)).toBe("a b \ufffd[31mred\ufffd[0m");
    expect(oneLine("x".repeat(50), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("builds the runs table rows", () => {
    const ledger = openLedger(":memory:", { now: () => new Date("2026-01-02T03:04:05Z") });
    const id = fillRun(ledger, 3, { method: "ape" });
    const { header, rows } = runsTable(ledger.listRuns());
    ledger.close();
    expect(header).toEqual([
      "id",
      "task",
      "method",
      "target",
      "status",
      "evals",
      "best val",
      "test",
      "cost",
      "created",
    ]);
    expect(rows).toEqual([
      [
        id,
        "antonyms",
        "ape",
        "local:qwen2.5-0.5b-instruct",
        "interrupted", // no process runs it
        "3",
        rows[0][6],
        "-",
        "$0.0003",
        "2026-01-02 03:04 UTC",
      ],
    ]);
    expect(Number(rows[0][6])).toBeGreaterThan(0);
  });

  it("formats numbers, money and durations", () => {
    expect(fmtInt(1234567)).toBe("1,234,567");
    expect(fmtUsd(0)).toBe("$0");
    expect(fmtUsd(12.345)).toBe("$12.35");
    expect(fmtDuration(850)).toBe("850 ms");
    expect(fmtDuration(12_340)).toBe("12.3 s");
    expect(fmtDuration(3_725_000)).toBe("1 h 02 min");
  });
});
