/**
 * The standard hub cache layout (shared with huggingface_hub and transformers):
 *
 *   <cache>/models--org--name/blobs/<etag>                    file contents (git sha1 or LFS sha256)
 *   <cache>/models--org--name/snapshots/<commit>/<path>       symlinks to ../../blobs/<etag>
 *   <cache>/models--org--name/refs/<revision>                 the commit a branch/tag resolved to
 *   <cache>/models--org--name/.no_exist/<commit>/<path>       empty markers for files known absent
 *   <cache>/.locks/models--org--name/<etag>.instructzero.lock  a download in progress (owner's pid)
 */
import { existsSync, promises as fsp, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { sleep } from "../../util/async/index.js";
import { declaredDataChunks, externalDataFile, type FilePlan, MAX_DATA_CHUNKS } from "./files.js";
import { isCommit } from "./source.js";

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

/** The hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME|~/.cache /huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const direct = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (direct) return expandHome(direct);
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
  return join(expandHome(home), "hub");
}

/** Cache folder name of a model repository: models--org--name. */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split("/").join("--")}`;
}

/** True when process `pid` exists (on this machine). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/** Layout helpers over one models--org--name folder. */
export class RepoCache {
  constructor(readonly dir: string) {}
  snapshot(commit: string): string {
    return join(this.dir, "snapshots", commit);
  }
  ref(revision: string): string {
    return join(this.dir, "refs", revision);
  }
  noExist(commit: string, file: string): string {
    return join(this.dir, ".no_exist", commit, file);
  }
  blob(etag: string): string {
    return join(this.dir, "blobs", etag);
  }
  readRef(revision: string): string | undefined {
    try {
      const sha = readFileSync(this.ref(revision), "utf8").trim();
      return isCommit(sha) ? sha : undefined;
    } catch {
      return undefined;
    }
  }
  has(commit: string, file: string): boolean {
    return existsSync(join(this.snapshot(commit), file));
  }
  knownAbsent(commit: string, file: string): boolean {
    return existsSync(this.noExist(commit, file));
  }
  async markAbsent(commit: string, file: string): Promise<void> {
    const p = this.noExist(commit, file);
    await fsp.mkdir(dirname(p), { recursive: true });
    await fsp.writeFile(p, "");
  }
  async writeRef(revision: string, commit: string): Promise<void> {
    const p = this.ref(revision);
    await fsp.mkdir(dirname(p), { recursive: true });
    await fsp.writeFile(p, commit);
  }
  /** Point snapshots/<commit>/<file> at blobs/<etag> (relative symlink; a copy where links fail). */
  async link(commit: string, file: string, etag: string): Promise<void> {
    const target = join(this.snapshot(commit), file);
    await fsp.mkdir(dirname(target), { recursive: true });
    const rel = relative(dirname(target), this.blob(etag));
    for (let tries = 0; ; tries++) {
      await fsp.rm(target, { force: true });
      try {
        await fsp.symlink(rel, target);
        return;
      } catch (err) {
        if ((err as { code?: string }).code === "EEXIST" && tries < 3) continue; // a concurrent writer
        await fsp.copyFile(this.blob(etag), target); // file systems without symlinks
        return;
      }
    }
  }
  /**
   * Hold an exclusive lock on blob `etag` while `fn` runs (a file with the owner's pid under
   * .locks/; a lock whose process is gone is taken over), so concurrent downloads do not mix.
   */
  async withBlobLock<T>(etag: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(dirname(this.dir), ".locks", basename(this.dir), `${etag}.instructzero.lock`);
    await fsp.mkdir(dirname(lock), { recursive: true });
    for (;;) {
      try {
        await fsp.writeFile(lock, String(process.pid), { flag: "wx" });
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") throw err;
        const owner = Number(await fsp.readFile(lock, "utf8").catch(() => ""));
        if (owner > 0 && owner !== process.pid && !processAlive(owner)) {
          await fsp.rm(lock, { force: true });
          continue;
        }
        await sleep(100);
      }
    }
    try {
      return await fn();
    } finally {
      await fsp.rm(lock, { force: true });
    }
  }
  /** Files still needed for a complete snapshot (strict: optional files must be present or known absent). */
  missing(commit: string, plan: FilePlan, strict: boolean): string[] {
    const out = plan.required.filter((f) => !this.has(commit, f));
    if (strict)
      out.push(...plan.optional.filter((f) => !this.has(commit, f) && !this.knownAbsent(commit, f)));
    let declared = 0;
    if (this.has(commit, "config.json")) {
      try {
        declared = declaredDataChunks(
          JSON.parse(readFileSync(join(this.snapshot(commit), "config.json"), "utf8")),
          plan.onnxFile,
        );
      } catch {
        declared = 0;
      }
    }
    for (let i = 0; i < MAX_DATA_CHUNKS; i++) {
      const f = externalDataFile(plan.onnxFile, i);
      if (this.has(commit, f)) continue;
      if (i < declared || (strict && !this.knownAbsent(commit, f))) out.push(f);
      if (i >= declared) break;
    }
    return out;
  }
}
