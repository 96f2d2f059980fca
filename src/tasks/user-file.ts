import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { type InfoRecord, parse as parseCsv } from "csv-parse/sync";
import { errorMessage, UserError } from "../util/errors.js";
import { checkExampleSize } from "./limits.js";
import { isRecord } from "./read-json.js";
import { decodeUtf8 } from "./text-file.js";
import type { Example } from "./types.js";

/** File extensions read as user task files. */
export const TASK_FILE_EXTENSIONS = [".jsonl", ".csv"] as const;

/** True when `name` looks like a path to a user task file. */
export function isTaskFilePath(name: string): boolean {
  return (TASK_FILE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/** Task name of a user file: its base name without extension. */
export function taskNameOfFile(path: string): string {
  return basename(path, extname(path));
}

/**
 * Read the user's own examples: JSONL (one `{"input": ..., "output": ...}` object per line) or CSV with
 * `input` and `output` columns. `output` is one accepted answer or a list of them (in CSV: a JSON list
 * such as `["big","large"]`). The file must be UTF-8; an input or answer may have at most
 * MAX_EXAMPLE_CHARS characters (./limits.ts). Errors name the file, the line and the problem.
 */
export function parseTaskFile(path: string): Example[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read task file ${path}: ${errorMessage(err)}`);
  }
  const text = decodeUtf8(path, bytes);
  const ext = extname(path).toLowerCase();
  const examples = ext === ".csv" ? parseCsvExamples(path, bytes) : parseJsonlExamples(path, text);
  if (examples.length < 3) {
    throw new UserError(
      `${path}: ${examples.length} example(s); at least 3 are needed (demos, validation, test)`,
    );
  }
  return examples;
}

function parseJsonlExamples(path: string, text: string): Example[] {
  const out: Example[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${path}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${where}: invalid JSON (${errorMessage(err)})`);
    }
    if (!isRecord(row)) throw new UserError(`${where}: expected an object with "input" and "output"`);
    out.push(toExample(row.input, row.output, where));
  });
  return out;
}

function parseCsvExamples(path: string, bytes: Buffer): Example[] {
  // Parsed from the (already checked) bytes, with each record's end offset, so that errors name the
  // line where the record starts (a quoted field may span lines).
  let records: { record: string[]; info: InfoRecord }[];
  try {
    // with `info`, each record comes as { record, info } (csv-parse's types do not model it)
    records = parseCsv(bytes, { skip_empty_lines: true, bom: true, trim: false, info: true }) as unknown as {
      record: string[];
      info: InfoRecord;
    }[];
  } catch (err) {
    throw new UserError(`${path}: invalid CSV (${errorMessage(err)})`);
  }
  if (records.length === 0) return [];
  const header = records[0].record;
  if (!header.includes("input") || !header.includes("output")) {
    throw new UserError(
      `${path}: the header must have "input" and "output" columns (found: ${header.join(", ")})`,
    );
  }
  const inputCol = header.lastIndexOf("input");
  const outputCol = header.lastIndexOf("output");
  const lines = new LineCounter(bytes);
  return records.slice(1).map(({ record }, k) => {
    const where = `${path}:${lines.lineOfRecordAt(records[k].info.bytes)}`;
    let output: unknown = record[outputCol];
    const cell = record[outputCol]?.trim() ?? "";
    if (cell.startsWith("[")) {
      try {
        output = JSON.parse(cell);
      } catch {
        output = record[outputCol];
      }
    }
    return toExample(record[inputCol], output, where);
  });
}

/** Line numbers of byte offsets visited in increasing order (one pass over the file in all). */
class LineCounter {
  private pos = 0;
  private line = 1;
  constructor(private readonly bytes: Uint8Array) {}

  /** Line of the first byte at or after `offset` that is not a line break (where a record starts). */
  lineOfRecordAt(offset: number): number {
    let at = offset;
    while (at < this.bytes.length && (this.bytes[at] === 0x0a || this.bytes[at] === 0x0d)) at++;
    for (; this.pos < at; this.pos++) if (this.bytes[this.pos] === 0x0a) this.line++;
    return this.line;
  }
}

/**
 * Examples given in memory (`[{ input, output }]`, output a string or a list of accepted answers),
 * checked like a task file's rows (sizes included); errors name the index ("examples[3]: ...").
 */
export function examplesFromObjects(list: unknown, where = "examples"): Example[] {
  if (!Array.isArray(list)) throw new UserError(`${where} must be an array of { input, output } objects`);
  const out = list.map((row, i) => {
    if (!isRecord(row)) throw new UserError(`${where}[${i}]: expected an object with "input" and "output"`);
    const extra = Object.keys(row).filter((k) => k !== "input" && k !== "output");
    if (extra.length > 0)
      throw new UserError(`${where}[${i}]: unknown field "${extra[0]}" (expected input, output)`);
    return toExample(row.input, row.output, `${where}[${i}]`);
  });
  if (out.length < 3) {
    throw new UserError(
      `${where}: ${out.length} example(s); at least 3 are needed (demos, validation, test)`,
    );
  }
  return out;
}

/** sha256 of examples in canonical form (input and answers, in order): their identity in the ledger. */
export function examplesSha256(examples: readonly Example[]): string {
  return createHash("sha256")
    .update(JSON.stringify(examples.map((e) => [e.input, e.answers])))
    .digest("hex");
}

function toExample(input: unknown, output: unknown, where: string): Example {
  if (typeof input !== "string" || input === "")
    throw new UserError(`${where}: "input" must be a non-empty string`);
  if (typeof output === "string") return checkExampleSize({ input, answers: [output] }, where);
  if (Array.isArray(output) && output.length > 0 && output.every((o) => typeof o === "string")) {
    return checkExampleSize({ input, answers: output }, where);
  }
  throw new UserError(`${where}: "output" must be a string or a non-empty list of strings`);
}
