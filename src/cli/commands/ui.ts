import type { Command } from "commander";
import { startUiServer, UI_DEFAULT_PORT } from "../../ui/server.js";
import { intOption } from "../shared-options.js";
import { addLedgerOption, ledgerPathOption } from "./runs.js";

/** Register `instructzero ui`: the live dashboard over the run store (read-only). */
export function registerUiCommand(program: Command): void {
  const cmd = program
    .command("ui")
    .description(
      "serve a live, read-only dashboard of the run store in your browser: runs, each run as it runs, candidates, comparisons, sweeps",
    )
    .option("--port <n>", `port to listen on (0: any free port) [${UI_DEFAULT_PORT}]`, intOption("--port", 0))
    .option(
      "--host <address>",
      "address to listen on [127.0.0.1]; any other than loopback requires a token ($INSTRUCTZERO_UI_TOKEN, else one is generated and printed)",
    );
  addLedgerOption(cmd).action(
    async (opts: { ledger?: string; store?: string; port?: number; host?: string }) => {
      const server = await startUiServer({
        store: ledgerPathOption(opts),
        storeGiven: opts.ledger !== undefined || opts.store !== undefined,
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
      });
      process.stdout.write(
        `instructzero ui: reading ${server.store} (read-only)\n` +
          `open ${server.url}\n` +
          (server.snapshot
            ? "note: this process cannot write the ledger's folder, so it shows a copy taken now: runs will not update live\n"
            : "") +
          (server.token !== undefined
            ? "every request needs this token (the link sets it once); keep it private\n"
            : "") +
          "Ctrl-C stops it.\n",
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    },
  );
}
