import type { Command } from "commander";
import { isPostgresUrl } from "../../db/location.js";
import { parseDuration, reconnectMs, setReconnectMs } from "../../db/reconnect.js";
import { SweepQueue } from "../../queue/sweep-queue.js";
import { runWorker } from "../../queue/worker.js";
import { openRunStore } from "../../session/store.js";
import { UserError } from "../../util/errors.js";
import { intOption } from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

/** Register `instructzero worker`. */
export function registerWorkerCommand(program: Command): void {
  const cmd = program
    .command("worker")
    .description(
      "Take sweep cells enqueued by `instructzero bench --queue URL` and run each as an ordinary run in the\n" +
        "shared store (run ledger, response cache and rate limits in the same PostgreSQL database). Start one\n" +
        "or more on any number of machines; a cell whose worker dies is taken by another once its lease ends\n" +
        "and resumed from the ledger. Ctrl-C stops taking cells and puts those under way back in the queue.",
    )
    .option("--concurrency <n>", "cells run at once by this process", intOption("--concurrency", 1), 1)
    .option("--poll <ms>", "how often an idle worker asks for a cell", intOption("--poll", 100), 2000)
    .option("--exit-when-done", "exit once no cell is queued, waiting for a retry or held by any worker")
    .option(
      "--reconnect-for <duration>",
      "when the database goes away, keep reconnecting (with backoff) this long before exiting, e.g. 30s, 5m, 1h [$INSTRUCTZERO_RECONNECT_MS, else 5m]",
      (v: string) => parseDuration(v, "--reconnect-for"),
    );
  addLedgerOption(cmd).action(
    async (opts: {
      ledger?: string;
      store?: string;
      concurrency: number;
      poll: number;
      exitWhenDone?: boolean;
      reconnectFor?: number;
    }) => {
      if (opts.reconnectFor !== undefined) setReconnectMs(opts.reconnectFor);
      const url = ledgerPathOption(opts);
      if (!isPostgresUrl(url))
        throw new UserError(
          "worker needs --store postgres://user:password@host:port/database (or INSTRUCTZERO_STORE): the database holding the queue and the shared run ledger",
        );
      const ledger = openRunStore(url);
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals > 1) process.exit(130);
        process.stderr.write(
          `\n${signal === "SIGINT" ? "Ctrl-C" : signal}: taking no more cells; those under way stop after their evaluations under way and go back in the queue (again to quit now)\n`,
        );
        controller.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      let queue: SweepQueue | undefined;
      try {
        queue = await SweepQueue.open(url);
        process.stderr.write(
          `worker ${process.pid}: taking cells from ${ledger.path} (concurrency ${opts.concurrency})\n`,
        );
        const ended = await runWorker(queue, ledger, {
          concurrency: opts.concurrency,
          pollMs: opts.poll,
          exitWhenDone: opts.exitWhenDone,
          reconnectMs: reconnectMs(),
          signal: controller.signal,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stderr.write(`worker ${process.pid}: ${ended} cells ended\n`);
        if (controller.signal.aborted) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await queue?.stop();
        ledger.close();
      }
    },
  );
}
