/**
 * instructzero: find the best instruction for a black-box LLM.
 * Library entry point; the CLI (src/cli) is a thin layer over these exports.
 */
export type * from "./blackbox/types.js";
export type * from "./tasks/types.js";
export { UserError } from "./util/errors.js";
export { Rng, seedFor } from "./util/rng.js";
export { VERSION } from "./version.js";
