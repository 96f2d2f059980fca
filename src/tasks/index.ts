/// <reference types="node" preserve="true" />
/** "instructzero/tasks": the benchmark catalog, task loading and data sources, splits, templates and the built-in metrics. */
export * from "./catalog.js";
export * from "./data-source.js";
export { type CleanExamples, cleanTaskExamples } from "./hygiene.js";
export { MAX_EXAMPLE_CHARS } from "./limits.js";
export * from "./load.js";
export * from "./metrics.js";
export * from "./splits.js";
export * from "./templates.js";
export type * from "./types.js";
export { parseTaskFile } from "./user-file.js";
