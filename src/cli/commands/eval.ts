import type { Command } from "commander";

/** Register `instructzero eval`. */
export function registerEvalCommand(program: Command): void {
  program.command("eval").description("(not yet implemented)");
}
