import { runSoftPromptSearch } from "../soft-prompt/search.js";
import { createUniformPointProposer } from "../uniform-proposer.js";
import type { SearchMethod } from "./method.js";

/** The paper's "uniform" baseline: the same pipeline with random soft prompts instead of BO. */
export const uniform: SearchMethod = {
  name: "uniform",
  description: "random soft prompts (baseline)",
  usesProposer: false,
  usesGenerator: true,
  pointProposer: async () => createUniformPointProposer(),
  proposalCalls: () => 0,
  run: runSoftPromptSearch,
};
