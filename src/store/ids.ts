/** Short readable run ids: `antonyms-7f3a2c`, derived from the task name and a hash (no randomness). */
import { createHash } from "node:crypto";

/** Task name -> id prefix: the last path segment without extension, lowercase [a-z0-9-], at most 24 chars. */
export function taskSlug(task: string): string {
  const base = task.split(/[\\/]/).filter(Boolean).pop() ?? "";
  const noExt = base.replace(/\.(json|jsonl|csv|tsv|txt)$/i, "");
  const slug = noExt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 24)
    .replace(/-+$/, "");
  return slug || "run";
}

/**
 * Run id `<task-slug>-<6 hex>`: the hash covers the canonical config, the creation time and a
 * counter (`attempt`), so the caller bumps `attempt` until the id is unused.
 */
export function makeRunId(task: string, configJson: string, createdAt: string, attempt: number): string {
  const h = createHash("sha256").update(`${configJson}\n${createdAt}\n${attempt}`).digest("hex");
  return `${taskSlug(task)}-${h.slice(0, 6)}`;
}
