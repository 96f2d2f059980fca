import type { Command } from "commander";

/** Register `instructzero tasks`. */
export function registerTasksCommand(program: Command): void {
  program.command("tasks").description("(not yet implemented)");
}
