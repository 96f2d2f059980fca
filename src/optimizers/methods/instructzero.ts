import { runSoftPromptSearch } from "../soft-prompt/search.js";
import type { SearchMethod } from "./method.js";

/** InstructZero: Bayesian optimisation over soft prompts (GP with the instruction-coupled kernel, EI by CMA-ES). */
export const instructzero: SearchMethod = {
  name: "instructzero",
  description: "BO over soft prompts (the paper)",
  usesProposer: false,
  usesGenerator: true,
  pointProposer: async () => (await import("../bo-proposer.js")).createBoPointProposer(),
  proposalCalls: () => 0,
  run: runSoftPromptSearch,
};
