/** Soft-prompt search (instructzero, uniform): see src/optimizers/soft-prompt/. */
export { chunkSizes } from "./soft-prompt/chunks.js";
export { DISTINCT_OVERPROPOSAL } from "./soft-prompt/distinct.js";
export { runSoftPromptSearch } from "./soft-prompt/search.js";
