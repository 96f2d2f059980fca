/** A candidate ready to score: its soft prompt and instruction; null when the run was interrupted. */
export type Pick = { z: number[]; text: string; generationMs: number } | null;
