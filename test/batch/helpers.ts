/** Shared bits of the batch tests: prompts, a store that "kills" the process at a chosen write, temp files. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchEvent, BatchJobRecord, BatchStore } from "../../src/blackbox/batch/types.js";

/** Words the fake answerer knows antonyms of. */
export const WORDS = ["hot", "big", "fast", "happy", "up", "light", "open", "early", "old", "high"];

/** A scoring prompt the fake answers with the antonym of `word`. */
export function prompt(word: string): string {
  return `Instruction: give the opposite\n\nInput: ${word}\n\nOutput:`;
}

/** A fresh temp dir. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "iz-batch-"));
}

/** Thrown by {@link killingStore}: the process "dies" at this write. */
export class Killed extends Error {
  constructor() {
    super("killed");
    this.name = "Killed";
  }
}

/**
 * `inner`, except that the first write for which `when(job)` says "before" throws without writing (the
 * process died just before recording it) and "after" writes then throws (died just after). Later writes
 * pass through; `killed()` tells whether the kill happened.
 */
export function killingStore(
  inner: BatchStore,
  when: (job: BatchJobRecord) => "before" | "after" | undefined,
): BatchStore & { killed(): boolean } {
  let done = false;
  return {
    get: (key) => inner.get(key),
    open: () => inner.open(),
    put: (job) => {
      const w = done ? undefined : when(job);
      if (w === "before") {
        done = true;
        throw new Killed();
      }
      inner.put(job);
      if (w === "after") {
        done = true;
        throw new Killed();
      }
    },
    killed: () => done,
  };
}

/** Collects batch events. */
export function eventLog(): { events: BatchEvent[]; on: (e: BatchEvent) => void; statuses(): string[] } {
  const events: BatchEvent[] = [];
  return {
    events,
    on: (e) => events.push(e),
    statuses: () => events.map((e) => e.status).filter((s, i, a) => i === 0 || a[i - 1] !== s),
  };
}
