import { UserError } from "../util/errors.js";
import { checkExampleSize } from "./limits.js";
import { asAnswers, isRecord, readJsonFile } from "./read-json.js";
import type { Example } from "./types.js";

/**
 * Parse a BIG-Bench task.json (`{"examples": [{"input", "target" | "target_scores"}]}`).
 * - `target` (string or list): the accepted answers.
 * - `target_scores` (multiple choice): the accepted answers are the options with the highest score, and
 *   the options are listed after the input ("Options:\n- a\n- b") so that a zero-shot model can answer
 *   with one of them (exact match is the metric).
 */
export function parseBigBenchFile(path: string): Example[] {
  const data = readJsonFile(path);
  if (!isRecord(data) || !Array.isArray(data.examples)) {
    throw new UserError(`${path}: expected an object with an "examples" list`);
  }
  const out: Example[] = [];
  data.examples.forEach((ex, i) => {
    const where = `${path}: example ${i}`;
    if (!isRecord(ex)) throw new UserError(`${where} is not an object`);
    if (typeof ex.input !== "string") throw new UserError(`${where} has no string "input"`);
    if ("target" in ex) {
      const answers = asAnswers(ex.target);
      if (!answers) throw new UserError(`${where}: "target" must be a string or a list of strings`);
      out.push(checkExampleSize({ input: ex.input, answers }, where));
      return;
    }
    if (isRecord(ex.target_scores)) {
      const entries = Object.entries(ex.target_scores).filter(([, s]) => typeof s === "number") as [
        string,
        number,
      ][];
      if (entries.length === 0) throw new UserError(`${where}: "target_scores" has no numeric scores`);
      const best = Math.max(...entries.map(([, s]) => s));
      const options = entries.map(([o]) => o.trim());
      const example = {
        input: `${ex.input.trim()}\nOptions:\n${options.map((o) => `- ${o}`).join("\n")}`,
        answers: entries.filter(([, s]) => s === best).map(([o]) => o.trim()),
      };
      out.push(checkExampleSize(example, where));
      return;
    }
    throw new UserError(`${where} has neither "target" nor "target_scores"`);
  });
  if (out.length === 0) throw new UserError(`${path}: no examples`);
  return out;
}
