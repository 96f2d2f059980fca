import { runApe } from "../ape.js";
import type { SearchMethod } from "./method.js";

/** APE (Zhou et al. 2023): the proposer model (the black box by default) writes the candidates. */
export const ape: SearchMethod = {
  name: "ape",
  description: "the black box (or --proposer) proposes instructions (baseline)",
  usesProposer: true,
  usesGenerator: false,
  proposalCalls: (config) => config.budget,
  run: runApe,
};
