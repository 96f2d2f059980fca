/**
 * Model sources and hub downloads: see ./hub/index.ts (this module re-exports it for the importers
 * of the former single-file module).
 */
export * from "./hub/index.js";
