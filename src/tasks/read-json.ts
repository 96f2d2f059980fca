import { readFileSync } from "node:fs";
import { errorMessage, UserError } from "../util/errors.js";
import { decodeUtf8 } from "./text-file.js";

/**
 * Read and parse a JSON file (UTF-8, invalid bytes named by line); any failure becomes a UserError
 * naming the file and the problem.
 */
export function readJsonFile(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${errorMessage(err)}`);
  }
  const text = decodeUtf8(path, bytes);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path} is not valid JSON: ${errorMessage(err)}`);
  }
}

/** True for a plain object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A string, or a list of strings, as a non-empty list of strings; null when it is neither. */
export function asAnswers(v: unknown): string[] | null {
  if (typeof v === "string") return [v];
  if (typeof v === "number" || typeof v === "boolean") return [String(v)];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" || typeof x === "number")) {
    return v.map(String);
  }
  return null;
}
