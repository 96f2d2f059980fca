/**
 * How `--help` is laid out, for every command (subcommands inherit it): descriptions are written as
 * sentences and commander wraps them to the terminal (a single line break in a description's source
 * is a space; a blank line starts a paragraph); the command list shows each command's first sentence;
 * list defaults read as lists, not JSON; when the option names leave too little room beside them, each
 * description goes on the lines below its option, wrapped to the full width.
 */
import { type Command, Help, type HelpConfiguration, type Option } from "commander";

/** `text` with the lines of each paragraph joined by spaces; paragraphs (blank lines) kept. */
export function reflow(text: string): string {
  return text
    .split(/\n[^\S\n]*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, " ").trim())
    .filter((p) => p !== "")
    .join("\n\n");
}

/** The first sentence of `text` (a full stop followed by a capital letter ends it). */
export function firstSentence(text: string): string {
  const flat = reflow(text).split("\n\n")[0] ?? "";
  const end = flat.search(/\.\s+(?=[A-Z\x60])/);
  return end < 0 ? flat : flat.slice(0, end + 1);
}

/** How an option's description is shown: a list default as `a,b,c`; no choices the flag already lists. */
function optionDescription(this: Help, option: Option): string {
  const shown = Object.assign(Object.create(Object.getPrototypeOf(option) as object) as Option, option);
  if (Array.isArray(option.defaultValue) && option.defaultValueDescription === undefined)
    shown.defaultValueDescription = option.defaultValue.length ? option.defaultValue.join(",") : "none";
  const choices = option.argChoices;
  if (choices && option.flags.includes(`<${choices.join("|")}>`)) shown.argChoices = undefined;
  return Help.prototype.optionDescription.call(this, shown);
}

/** Term and description side by side, or, when the terms are too wide for that, one under the other. */
function formatItem(this: Help, term: string, termWidth: number, description: string, helper: Help): string {
  const width = this.helpWidth ?? 80;
  const room = width - termWidth - 2 - 2;
  if (!description || room >= this.minWidthToWrap)
    return Help.prototype.formatItem.call(this, term, termWidth, description, helper);
  const indent = " ".repeat(6);
  const wrapped = helper.boxWrap(description, width - indent.length);
  return `  ${term}\n${wrapped.replace(/^/gm, indent)}`;
}

/** The help configuration of the whole command tree (set on the root before adding commands). */
export const HELP: HelpConfiguration = {
  commandDescription: (cmd: Command) => reflow(cmd.description()),
  subcommandDescription: (cmd: Command) => cmd.summary() || firstSentence(cmd.description()),
  optionDescription,
  formatItem,
};
