/**
 * The dashboard's routes (Hono): pages rendered on the server from the read-only ledger, the two
 * assets, the static report and JSON export of a run, and live event streams (server-sent events) that
 * poll the ledger's fingerprints and send the redrawn elements when something changed.
 */
import { type Context, Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { outcomeOfResult } from "../optimizers/outcome.js";
import { type SweepCell, summarizeSweep, sweepCellOf } from "../optimizers/sweep.js";
import { escapeHtml as esc } from "../report/escape.js";
import { exampleResultsOf, exportRun, type RunExport } from "../report/export.js";
import { renderHtmlReport } from "../report/html.js";
import type { ChartEvaluation } from "../report/run-charts.js";
import { type Ledger, sameRunConfig } from "../store/ledger.js";
import {
  CANDIDATE_SORTS,
  type CandidateSort,
  candidatesPage,
  evaluationAt,
  evaluationsAfter,
  ledgerFingerprint,
  liveHolders,
  queuedCells,
  type RunFilter,
  runFacets,
  runFingerprint,
  runsPage,
  storedRuns,
} from "../store/queries.js";
import { type EvaluationRecord, RUN_STATUSES, type RunStatus } from "../store/types.js";
import { UserError } from "../util/errors.js";
import { redactUrl } from "../util/redact.js";
import { UI_SCRIPT, UI_STYLESHEET } from "./assets.js";
import { liveStateOf } from "./live-state.js";
import { readOnlyAndHost, requireToken, securityHeaders } from "./security.js";
import { renderCandidatePage, softPromptNeighbours } from "./views/candidate.js";
import { renderCandidatesPage } from "./views/candidates.js";
import { renderComparePage } from "./views/compare.js";
import { type PageContext, uiPage } from "./views/layout.js";
import { renderRunPage, runFragments } from "./views/run.js";
import { renderRunsPage, runsBody, runsCount } from "./views/runs.js";
import { type QueuedCellView, queuedSection, renderSweepsPage } from "./views/sweeps.js";

/** What the routes need. */
export interface UiAppOptions {
  /** The ledger, opened read-only. */
  ledger: Ledger;
  /** The store's location as shown (redacted again on every page). */
  store: string;
  /** The flag naming this store in printed commands ("" for the default store). */
  storeFlag: string;
  /** "instructzero <version>". */
  producer: string;
  /** How often the event streams look at the ledger, ms [1000]. */
  pollMs?: number;
  /** When set, every request must carry it. */
  token?: string;
  /**
   * Host headers accepted ("127.0.0.1:PORT" ...), read at each request (the port is known late); null:
   * any (a server that requires its token).
   */
  allowedHosts: () => readonly string[] | null;
}

/** Runs per page of the runs list. */
export const RUNS_PER_PAGE = 100;
/** Candidates per page of the candidates table. */
export const CANDIDATES_PER_PAGE = 200;
/** Runs a comparison takes at most. */
export const COMPARE_MAX = 8;

/** The dashboard app, and a way to end its open event streams. */
export function createUiApp(o: UiAppOptions): { app: Hono; closeStreams: () => void } {
  const { ledger } = o;
  const pollMs = o.pollMs ?? 1000;
  const page: PageContext = { store: o.store, producer: o.producer };
  const streams = new Set<SSEStreamingApi>();
  const app = new Hono();

  app.use("*", securityHeaders());
  app.use("*", readOnlyAndHost(o.allowedHosts));
  if (o.token) app.use("*", requireToken(o.token));

  app.onError((err, c) => {
    const known = err instanceof UserError;
    const message = redactUrl(
      known ? err.message : "the dashboard failed to read the store; see its terminal",
    );
    if (!known) process.stderr.write(`instructzero ui: ${redactUrl(String((err as Error).stack ?? err))}\n`);
    return c.html(
      uiPage(page, {
        title: "instructzero · error",
        body: `<h1>${known ? "Not found" : "Error"}</h1><p class="callout">${esc(message)}</p>`,
      }),
      known ? 404 : 500,
    );
  });
  app.notFound((c) =>
    c.html(
      uiPage(page, {
        title: "instructzero · not found",
        body: `<h1>Not found</h1><p><a href="/">runs</a></p>`,
      }),
      404,
    ),
  );

  app.get("/assets/ui.css", (c) =>
    c.body(UI_STYLESHEET, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache" }),
  );
  app.get("/assets/ui.js", (c) =>
    c.body(UI_SCRIPT, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "no-cache",
    }),
  );

  /** An event stream that sends `next()`'s message whenever it returns one (polling the ledger). */
  const stream = (c: Context, next: () => { replace: Record<string, string>; done?: boolean } | null) =>
    streamSSE(c, async (s) => {
      streams.add(s);
      s.onAbort(() => {
        streams.delete(s);
      });
      try {
        let beat = 0;
        while (!s.aborted && !s.closed) {
          let msg: ReturnType<typeof next> = null;
          try {
            msg = next();
          } catch (err) {
            // the store may be briefly unreachable (a server restart): say so, keep watching
            process.stderr.write(`instructzero ui: ${redactUrl((err as Error).message)}\n`);
          }
          if (msg) {
            await s.writeSSE({ event: "update", data: JSON.stringify(msg) });
            if (msg.done) break;
          } else {
            beat += pollMs;
            if (beat >= 15_000) {
              beat = 0;
              await s.writeSSE({ event: "ping", data: "" });
            }
          }
          await s.sleep(pollMs);
        }
      } finally {
        streams.delete(s);
      }
    });

  // ---- runs
  const filterOf = (q: (k: string) => string | undefined): RunFilter => {
    const status = q("status");
    return {
      ...(status && (RUN_STATUSES as readonly string[]).includes(status)
        ? { status: status as RunStatus }
        : {}),
      ...(q("task") ? { task: q("task") } : {}),
      ...(q("method") ? { method: q("method") } : {}),
      ...(q("target") ? { target: q("target") } : {}),
      ...(q("q") ? { q: q("q")!.slice(0, 200) } : {}),
    };
  };
  const offsetOf = (v: string | undefined) => Math.max(0, Math.floor(Number(v) || 0));

  app.get("/", (c) => {
    const filter = filterOf((k) => c.req.query(k));
    const runs = runsPage(ledger, filter, { offset: offsetOf(c.req.query("offset")), limit: RUNS_PER_PAGE });
    return c.html(
      renderRunsPage(page, { page: runs, facets: runFacets(ledger), filter, storeFlag: o.storeFlag }),
    );
  });
  app.get("/events/runs", (c) => {
    const filter = filterOf((k) => c.req.query(k));
    const offset = offsetOf(c.req.query("offset"));
    let seen = "";
    return stream(c, () => {
      const f = ledgerFingerprint(ledger);
      if (f === seen) return null;
      seen = f;
      const runs = runsPage(ledger, filter, { offset, limit: RUNS_PER_PAGE });
      return {
        replace: {
          "runs-count": runsCount({ page: runs, filter }),
          "runs-body": runsBody({ page: runs, storeFlag: o.storeFlag }),
        },
      };
    });
  });

  // ---- one run
  app.get("/runs/:id", (c) => {
    const run = exportRun(ledger, c.req.param("id"));
    const record = ledger.getRun(run.run.id);
    const best =
      run.summary.bestIndex !== null
        ? { index: run.summary.bestIndex, score: run.summary.bestScore ?? 0 }
        : null;
    const live = liveStateOf(ledger, record, run.evaluations.length, best);
    return c.html(
      renderRunPage(page, { run, live, storeFlag: o.storeFlag, follow: record.status !== "completed" }),
    );
  });
  app.get("/events/runs/:id", (c) => {
    const id = ledger.resolveRunId(c.req.param("id"));
    const evaluations: ChartEvaluation[] = [];
    let seen = "";
    return stream(c, () => {
      const f = runFingerprint(ledger, id);
      if (f === seen) return null;
      seen = f;
      const last = evaluations.length > 0 ? evaluations[evaluations.length - 1].index : -1;
      for (const e of evaluationsAfter(ledger, id, last)) evaluations.push(chartRow(e));
      const run = ledger.getRun(id);
      let best: { index: number; score: number } | null = null;
      for (const e of evaluations)
        if (best === null || e.score > best.score) best = { index: e.index, score: e.score };
      if (run.result)
        best = {
          index: run.result.bestIndex,
          score: evaluations.find((e) => e.index === run.result?.bestIndex)?.score ?? best?.score ?? 0,
        };
      const live = liveStateOf(ledger, run, evaluations.length, best);
      const baselines = live.baselines.map((b) => ({
        name: b.name,
        score: b.validation.score,
      }));
      return {
        replace: runFragments(id, live, evaluations, baselines, o.storeFlag),
        done: run.status === "completed",
      };
    });
  });
  app.get("/runs/:id/report.html", (c) => {
    const html = renderHtmlReport(exportRun(ledger, c.req.param("id")));
    // the report's own policy (inline styles, nothing else): it is the self-contained file
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    return c.html(html);
  });
  app.get("/runs/:id/export.json", (c) => c.json(exportRun(ledger, c.req.param("id"))));
  app.get("/runs/:id/candidates", (c) => {
    const id = ledger.resolveRunId(c.req.param("id"));
    const run = ledger.getRun(id);
    const sortParam = c.req.query("sort") ?? "score";
    const sort = (
      (CANDIDATE_SORTS as readonly string[]).includes(sortParam) ? sortParam : "score"
    ) as CandidateSort;
    const descending =
      (c.req.query("dir") ?? (sort === "index" || sort === "instruction" ? "asc" : "desc")) !== "asc";
    const offset = offsetOf(c.req.query("offset"));
    const { rows, total } = candidatesPage(ledger, id, {
      sort,
      descending,
      offset,
      limit: CANDIDATES_PER_PAGE,
    });
    return c.html(
      renderCandidatesPage(page, {
        runId: id,
        task: run.config.task,
        rows,
        total,
        sort,
        descending,
        offset,
        limit: CANDIDATES_PER_PAGE,
        chosenIndex: run.result?.bestIndex ?? null,
      }),
    );
  });
  app.get("/runs/:id/candidates/:index", (c) => {
    const id = ledger.resolveRunId(c.req.param("id"));
    const index = Number(c.req.param("index"));
    const e = Number.isInteger(index) ? evaluationAt(ledger, id, index) : undefined;
    if (!e) throw new UserError(`run ${id} has no evaluation ${c.req.param("index")}`);
    const run = ledger.getRun(id);
    const all = e.z ? evaluationsAfter(ledger, id, -1) : [];
    return c.html(
      renderCandidatePage(page, {
        run,
        evaluation: e,
        examples: exampleResultsOf(e, ledger.getExamples(id, "validation")),
        neighbours: softPromptNeighbours(e, all),
        chosenIndex: run.result?.bestIndex ?? null,
        total: ledger.countEvaluations(id),
      }),
    );
  });

  // ---- compare
  app.get("/compare", (c) => {
    const ids = [...new Set((c.req.queries("run") ?? []).map((id) => ledger.resolveRunId(id)))].slice(
      0,
      COMPARE_MAX,
    );
    const runs: RunExport[] = ids.map((id) => exportRun(ledger, id));
    const recent = runsPage(ledger, {}, { limit: RUNS_PER_PAGE }).rows;
    return c.html(renderComparePage(page, { runs, recent }));
  });

  // ---- sweeps
  const queuedView = (): QueuedCellView[] => {
    const cells = queuedCells(ledger);
    if (cells.length === 0) return [];
    const runs = storedRuns(ledger);
    const holders = liveHolders(ledger);
    return cells.map((cell) => {
      const run = runs.find(
        (r) => r.config.task === cell.config.task && sameRunConfig(r.config, cell.config),
      );
      const holder = run ? holders.get(run.id) : undefined;
      const state = !run ? "waiting" : run.status === "completed" ? "done" : run.status;
      return {
        queue: cell.queue,
        task: cell.task,
        method: cell.method,
        seed: cell.seed,
        state,
        runId: run?.id ?? null,
        evaluations: run?.evaluations ?? 0,
        budget: cell.config.budget,
        test: run?.result?.test?.score ?? null,
        worker: holder ? `${holder.host} (pid ${holder.pid})` : null,
        enqueuedAt: cell.enqueuedAt,
      };
    });
  };
  app.get("/sweeps", (c) => {
    const cells: SweepCell[] = [];
    for (const r of storedRuns(ledger)) {
      if (!r.result || (r.status !== "completed" && r.status !== "stopped")) continue;
      const cell = sweepCellOf(
        r.config,
        { task: r.config.task, method: r.config.method, seed: r.config.seed },
        outcomeOfResult(r.id, r.status, [], r.result),
      );
      cells.push({ ...cell, validation: r.bestScore });
    }
    return c.html(renderSweepsPage(page, { queued: queuedView(), cells, rows: summarizeSweep(cells) }));
  });
  app.get("/events/sweeps", (c) => {
    let seen = "";
    return stream(c, () => {
      const f = ledgerFingerprint(ledger);
      if (f === seen) return null;
      seen = f;
      return { replace: { queued: queuedSection({ queued: queuedView() }) } };
    });
  });

  return {
    app,
    closeStreams: () => {
      for (const s of streams) s.abort();
      streams.clear();
    },
  };
}

/** What a live chart keeps of an evaluation (not its outputs or soft prompt). */
function chartRow(e: EvaluationRecord): ChartEvaluation {
  return {
    index: e.index,
    iteration: e.iteration,
    score: e.score,
    reused: e.reused,
    calls: e.calls,
    costUsd: e.costUsd,
    ...(e.origin ? { origin: e.origin } : {}),
    ...(e.empty ? { empty: true } : {}),
    ...(e.judge ? { judge: e.judge } : {}),
  };
}
