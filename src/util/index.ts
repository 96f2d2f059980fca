/// <reference types="node" preserve="true" />
/** "instructzero/util": the seeded random numbers every run uses, and the user-facing error class. */
export { UserError } from "./errors.js";
export { Rng, seedFor } from "./rng.js";
