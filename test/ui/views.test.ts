/**
 * The dashboard's views escape every string that comes from a run (task names, status messages, hosts,
 * instructions, outputs, feedback) and the live panel says what a run is doing.
 */
import { describe, expect, it } from "vitest";
import type { LiveState } from "../../src/ui/live-state.js";
import { softPromptNeighbours } from "../../src/ui/views/candidate.js";
import { livePanel } from "../../src/ui/views/run.js";
import { runsBody } from "../../src/ui/views/runs.js";

const EVIL = `<img src=x onerror="alert(1)">"'&`;

const live = (o: Partial<LiveState> = {}): LiveState => ({
  status: "running",
  statusMessage: null,
  phase: "search",
  phaseProgress: null,
  baselines: [],
  evaluations: 7,
  best: { index: 4, score: 0.75 },
  budget: 20,
  etaSeconds: 65,
  calls: 40,
  costUsd: 0.5,
  maxCalls: 100,
  maxCost: 2,
  holder: { host: EVIL, pid: 42 },
  ...o,
});

describe("views", () => {
  it("escape the run's strings in the runs table", () => {
    const html = runsBody({
      storeFlag: "--ledger /tmp/x y.sqlite",
      page: {
        total: 1,
        offset: 0,
        limit: 100,
        rows: [
          {
            id: "t-1",
            task: EVIL,
            method: "ape",
            target: EVIL,
            status: "interrupted",
            statusMessage: EVIL,
            createdAt: "2026-01-01T00:00:00.000Z",
            updatedAt: "2026-01-01T00:00:00.000Z",
            finishedAt: null,
            evaluations: 3,
            bestScore: 0.5,
            testScore: null,
            costUsd: 0.01,
            calls: 12,
            budget: 20,
            seed: 0,
          },
        ],
      },
    });
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&quot;&#39;&amp;");
    expect(html).toContain("instructzero resume t-1 --ledger /tmp/x y.sqlite");
  });

  it("show the phase, progress, ETA and spend against the caps, escaped", () => {
    const html = livePanel("r-1", live(), "");
    expect(html).not.toContain("<img");
    expect(html).toContain('id="live-phase">search<');
    expect(html).toContain("7 / 20 evaluations");
    expect(html).toContain(
      'id="live-best">0.750 <a class="sub" href="/runs/r-1/candidates/4">evaluation 4</a>',
    );
    expect(html).toContain("about 1 min 05 s left in the search");
    expect(html).toContain("$0.5000 of $2.00");
    expect(html).toContain('<progress class="spend-progress" value="0.5" max="2"');
    expect(html).toContain("40 paid calls of 100");
    const selection = livePanel(
      "r-1",
      live({ phase: "selection", phaseProgress: { done: 2, total: 5, of: "candidates scored" } }),
      "",
    );
    expect(selection).toContain("2 / 5 candidates scored");
    const stopped = livePanel(
      "r-1",
      live({ status: "interrupted", statusMessage: EVIL, holder: null }),
      "--store X",
    );
    expect(stopped).toContain("instructzero resume r-1 --store X");
    expect(stopped).not.toContain("<img");
  });

  it("find the nearest soft prompts, one per distinct instruction", () => {
    const all = [
      { index: 0, z: [0, 0], instruction: "a", score: 0.1 },
      { index: 1, z: [1, 0], instruction: "b", score: 0.2 },
      { index: 2, z: [0.5, 0], instruction: "c", score: 0.3 },
      { index: 3, z: [0.6, 0], instruction: "c", score: 0.3 },
      { index: 4, z: null, instruction: "d", score: 0.4 },
    ];
    const n = softPromptNeighbours(all[0], all, 3);
    expect(n.map((x) => x.index)).toEqual([2, 1]);
    expect(n[0].distance).toBeCloseTo(0.5, 12);
    expect(softPromptNeighbours(all[4], all)).toEqual([]);
  });
});
