import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import { checkExampleSize } from "./limits.js";
import { asAnswers, isRecord, readJsonFile } from "./read-json.js";
import type { Example } from "./types.js";

/** Which file of an instruction-induction task: induce (demos, validation) or execute (test). */
export type InstructionInductionFileKind = "induce" | "execute";

/**
 * Parse an instruction-induction file (`{"examples": {"1": {...}, ...}}`) into examples, with the
 * reference's per-task rules:
 * - cause_and_effect: input "Sentence 1: A Sentence 2: B", cause and effect in random (seeded) order,
 *   answer [cause];
 * - common_concept: input = items[:-1] joined by ", " (the reference drops the last item), answers =
 *   all_common_concepts;
 * - rhymes: answers = other_rhymes; translation_*: answers = possible_translations;
 * - every other task: input, [output].
 *
 * The cause_and_effect order is seeded with `seed`, the task name and the file kind (induce or
 * execute), never with the file's path: the same seed gives the same inputs wherever the data lives.
 * (Before, the absolute path was part of the seed, so a different data directory gave different
 * inputs, splits and scores; inputs of cause_and_effect therefore differ from those versions.)
 */
export function parseInstructionInductionFile(
  path: string,
  task: string,
  seed = 0,
  kind: InstructionInductionFileKind = "induce",
): Example[] {
  const data = readJsonFile(path);
  if (!isRecord(data) || !isRecord(data.examples)) {
    throw new UserError(`${path}: expected an object with an "examples" object`);
  }
  const rng = new Rng(seedFor(seed, `${task}:${kind}`));
  const out: Example[] = [];
  const keys = Object.keys(data.examples).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  for (const key of keys) {
    const ex = data.examples[key];
    const where = `${path}: example "${key}"`;
    if (!isRecord(ex)) throw new UserError(`${where} is not an object`);
    out.push(checkExampleSize(exampleFor(task, ex, where, rng), where));
  }
  if (out.length === 0) throw new UserError(`${path}: no examples`);
  return out;
}

function field(ex: Record<string, unknown>, name: string, where: string): unknown {
  if (!(name in ex)) throw new UserError(`${where} has no "${name}" field`);
  return ex[name];
}

function text(ex: Record<string, unknown>, name: string, where: string): string {
  const v = field(ex, name, where);
  if (typeof v !== "string" && typeof v !== "number")
    throw new UserError(`${where}: "${name}" is not a string`);
  return String(v);
}

function answers(ex: Record<string, unknown>, name: string, where: string): string[] {
  const v = asAnswers(field(ex, name, where));
  if (!v) throw new UserError(`${where}: "${name}" must be a string or a non-empty list of strings`);
  return v;
}

function exampleFor(task: string, ex: Record<string, unknown>, where: string, rng: Rng): Example {
  if (task === "cause_and_effect") {
    const cause = text(ex, "cause", where);
    const effect = text(ex, "effect", where);
    const input =
      rng.uniform() < 0.5
        ? `Sentence 1: ${cause} Sentence 2: ${effect}`
        : `Sentence 1: ${effect} Sentence 2: ${cause}`;
    return { input, answers: [cause] };
  }
  if (task === "common_concept") {
    const items = field(ex, "items", where);
    if (!Array.isArray(items) || !items.every((x) => typeof x === "string")) {
      throw new UserError(`${where}: "items" must be a list of strings`);
    }
    return { input: items.slice(0, -1).join(", "), answers: answers(ex, "all_common_concepts", where) };
  }
  if (task === "rhymes")
    return { input: text(ex, "input", where), answers: answers(ex, "other_rhymes", where) };
  if (task.startsWith("translation_")) {
    return { input: text(ex, "input", where), answers: answers(ex, "possible_translations", where) };
  }
  return { input: text(ex, "input", where), answers: answers(ex, "output", where) };
}

/** Human-written instructions of an annotations file (`{"annotations": [...]}`). */
export function parseAnnotationsFile(path: string): string[] {
  const data = readJsonFile(path);
  if (
    !isRecord(data) ||
    !Array.isArray(data.annotations) ||
    !data.annotations.every((a) => typeof a === "string")
  ) {
    throw new UserError(`${path}: expected {"annotations": [strings]}`);
  }
  return data.annotations as string[];
}
