/**
 * Model download progress on stderr, drawn from the library's progress events (the hub module
 * reports, the CLI draws): on a terminal a bar per file of at least 1 MB, otherwise (logs, CI) one
 * line per such file when it is complete.
 */
import cliProgress from "cli-progress";
import {
  type DownloadProgress,
  type DownloadProgressCallback,
  setDefaultDownloadProgress,
} from "../generator/hub/progress.js";

/** Files smaller than this get no bar and no line. */
const MIN_BYTES = 1_000_000;

const mb = (n: number) => (n / 1e6).toFixed(1);

/** A progress display: its callback, and stop() to clear a bar left open (after an error). */
export interface DownloadProgressDisplay {
  onProgress: DownloadProgressCallback;
  stop(): void;
}

/** A display writing to `stream` (default stderr); `tty` defaults to the stream's isTTY. */
export function createDownloadProgress(
  options: { stream?: NodeJS.WritableStream & { isTTY?: boolean }; tty?: boolean } = {},
): DownloadProgressDisplay {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let barFile: string | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
    barFile = undefined;
  };
  const small = (e: DownloadProgress) => e.total !== undefined && e.total < MIN_BYTES;
  const onProgress = (e: DownloadProgress) => {
    if (small(e)) return;
    if (!tty) {
      if (e.status === "done") stream.write(`downloaded ${e.name} ${e.file} (${mb(e.loaded)} MB)\n`);
      return;
    }
    if (e.status === "initiate" || barFile !== e.file) {
      stop();
      bar = new cliProgress.SingleBar(
        {
          format: `${e.file} [{bar}] {percentage}% | {mb}/{totalMb} MB | ETA {eta_formatted}`,
          stream,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      barFile = e.file;
      bar.start(e.total ?? 0, e.loaded, {
        mb: mb(e.loaded),
        totalMb: e.total === undefined ? "?" : mb(e.total),
      });
    }
    bar?.update(e.loaded, { mb: mb(e.loaded) });
    if (e.status === "done") stop();
  };
  return { onProgress, stop };
}

/**
 * Draw the progress of every model download of this process (the library's default callback)
 * until the returned function is called.
 */
export function showDownloadProgress(): () => void {
  const display = createDownloadProgress();
  setDefaultDownloadProgress(display.onProgress);
  return () => {
    display.stop();
    setDefaultDownloadProgress(undefined);
  };
}
