/**
 * Model sources: `hf:org/name[@revision]` (a Hugging Face Hub repository) or the path of a local
 * model folder.
 */
import { statSync } from "node:fs";
import { UserError } from "../../util/errors.js";

/** A parsed `hf:` source. */
export interface HubSource {
  repoId: string;
  revision?: string;
}

/** Parse `hf:org/name[@revision]`; null for anything else (a local path). */
export function parseHubSource(source: string): HubSource | null {
  if (!source.startsWith("hf:")) return null;
  const rest = source.slice(3);
  const at = rest.indexOf("@");
  const repoId = at < 0 ? rest : rest.slice(0, at);
  const revision = at < 0 ? undefined : rest.slice(at + 1);
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || repoId.includes("..")) {
    throw new UserError(
      `bad Hugging Face model id in "${source}": expected hf:org/name or hf:org/name@revision`,
    );
  }
  if (revision !== undefined && (revision === "" || revision.includes(".."))) {
    throw new UserError(`bad revision in "${source}"`);
  }
  return { repoId, revision };
}

/** True for a full 40-hex-digit commit id. */
export const isCommit = (rev: string): boolean => /^[0-9a-f]{40}$/.test(rev);

/** Check that a local model folder exists; its contents are checked by the loader. */
export function checkLocalFolder(path: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    const hint = /^[\w.-]+\/[\w.-]+$/.test(path) ? ` (for a Hugging Face model, write hf:${path})` : "";
    throw new UserError(`model folder ${path} does not exist or is not a directory${hint}`);
  }
  return path;
}
