/** Bad data named: sizes over the limit, invalid UTF-8, too few examples for the validation size. */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBigBenchFile } from "../../src/tasks/bigbench.js";
import { MAX_EXAMPLE_CHARS } from "../../src/tasks/index.js";
import { parseInstructionInductionFile } from "../../src/tasks/instruction-induction.js";
import { loadTask } from "../../src/tasks/load.js";
import { splitTask } from "../../src/tasks/splits.js";
import { decodeUtf8, firstInvalidUtf8 } from "../../src/tasks/text-file.js";
import type { Example, Task } from "../../src/tasks/types.js";
import { examplesFromObjects, parseTaskFile } from "../../src/tasks/user-file.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const dir = mkdtempSync(join(tmpdir(), "iz-data-checks-"));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("expected a UserError");
}
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n");
const small = [
  { input: "a", output: "A" },
  { input: "b", output: "B" },
  { input: "c", output: "C" },
];

describe("size limit", () => {
  const long = "x".repeat(MAX_EXAMPLE_CHARS + 1);

  it("is 20,000 characters per input or answer, counted in code points", () => {
    expect(MAX_EXAMPLE_CHARS).toBe(20_000);
    // exactly at the limit is fine, also in characters outside the BMP (two UTF-16 units each)
    const atLimit = [{ input: "x".repeat(MAX_EXAMPLE_CHARS), output: "😀".repeat(MAX_EXAMPLE_CHARS) }];
    const ok = parseTaskFile(file("at-limit.jsonl", jsonl([...small, ...atLimit])));
    expect(ok).toHaveLength(4);
    expect(ok[3].answers[0]).toHaveLength(2 * MAX_EXAMPLE_CHARS);
  });

  it("names the file and line of a task file", () => {
    const j = file("long.jsonl", `${jsonl(small)}\n\n${jsonl([{ input: long, output: "y" }])}\n`);
    const e1 = userError(() => parseTaskFile(j));
    expect(e1.message).toBe(
      `${j}:5: the input is 20,001 characters long; the limit is 20,000 characters per input or answer`,
    );
    const j2 = file("long-answer.jsonl", jsonl([...small, { input: "d", output: ["ok", long] }]));
    expect(userError(() => parseTaskFile(j2)).message).toMatch(
      /long-answer\.jsonl:4: answer 2 of the output is 20,001 characters long/,
    );
    // CSV: the line where the record starts, after a quoted multi-line field, a blank line and CRLFs
    const c = file("long.csv", `input,output\r\na,A\r\n"multi\r\nline",B\r\n\r\nc,C\r\nd,${long}\r\ne,E\r\n`);
    expect(userError(() => parseTaskFile(c)).message).toMatch(
      /long\.csv:7: the output is 20,001 characters long/,
    );
  });

  it("names the example given in memory", () => {
    const e = userError(() => examplesFromObjects([...small, { input: long, output: "y" }]));
    expect(e.message).toMatch(/^examples\[3\]: the input is 20,001 characters long/);
  });

  it("names the example of a benchmark file", () => {
    const bb = file(
      "bb.json",
      JSON.stringify({
        examples: [
          { input: "q", target: "a" },
          { input: "q2", target: ["b", long] },
        ],
      }),
    );
    expect(userError(() => parseBigBenchFile(bb)).message).toMatch(
      /bb\.json: example 1: answer 2 of the output is 20,001 characters long/,
    );
    const ii = file(
      "ii.json",
      JSON.stringify({ examples: { "1": { input: "a", output: "b" }, "2": { input: long, output: "c" } } }),
    );
    expect(userError(() => parseInstructionInductionFile(ii, "antonyms")).message).toMatch(
      /ii\.json: example "2": the input is 20,001 characters long/,
    );
  });
});

describe("UTF-8", () => {
  it("names the line and byte of invalid UTF-8 in a task file", () => {
    const bytes = Buffer.concat([
      Buffer.from(`${jsonl(small)}\n{"input": "caf`),
      Buffer.from([0xe9]), // Latin-1 é
      Buffer.from(`", "output": "x"}\n`),
    ]);
    const j = file("latin1.jsonl", bytes);
    expect(userError(() => parseTaskFile(j)).message).toBe(
      `${j}:4: not valid UTF-8 (byte 0xe9 at byte 15 of the line); save the file as UTF-8`,
    );
    const c = file(
      "latin1.csv",
      Buffer.concat([Buffer.from("input,output\na,A\nb,B\nc,"), Buffer.from([0xff, 0x0a])]),
    );
    expect(userError(() => parseTaskFile(c)).message).toMatch(/latin1\.csv:4: not valid UTF-8 \(byte 0xff/);
    // a sequence cut short by the end of the file
    const cut = file(
      "cut.jsonl",
      Buffer.concat([Buffer.from(`${jsonl(small)}\n`), Buffer.from([0xe2, 0x82])]),
    );
    expect(userError(() => parseTaskFile(cut)).message).toMatch(/cut\.jsonl:4: not valid UTF-8 \(byte 0xe2/);
  });

  it("names the line in a benchmark file", () => {
    const bb = file(
      "bb-latin1.json",
      Buffer.concat([
        Buffer.from('{"examples": [\n{"input": "a", "target": "b"},\n{"input": "'),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from('", "target": "c"}]}'),
      ]),
    );
    expect(userError(() => parseBigBenchFile(bb)).message).toMatch(
      /bb-latin1\.json:3: not valid UTF-8 \(byte 0xc0 at byte 12 of the line\)/,
    );
  });

  it("reads valid UTF-8, with or without a byte-order mark", () => {
    const text = jsonl([{ input: "naïve 😀", output: "日本" }, ...small]);
    const plain = parseTaskFile(file("utf8.jsonl", text));
    expect(plain[0]).toEqual({ input: "naïve 😀", answers: ["日本"] });
    expect(parseTaskFile(file("bom.jsonl", `\ufeff${text}`))).toEqual(plain);
    expect(parseTaskFile(file("bom.csv", `\ufeffinput,output\nnaïve 😀,日本\na,A\nb,B\n`))[0]).toEqual(
      plain[0],
    );
  });

  it("finds the same first bad byte as the WHATWG decoder, on random bytes", () => {
    const rng = new Rng(7);
    const pieces = [
      [0x41],
      [0xc3, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xed, 0xa0, 0x80], // surrogate
      [0xe0, 0x80, 0xaf], // overlong
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xc1, 0xbf],
      [0x80],
      [0xf0, 0x9f],
      [0x0a],
    ];
    const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    for (let trial = 0; trial < 3000; trial++) {
      const bytes: number[] = [];
      const n = 1 + Math.floor(rng.uniform() * 6);
      for (let k = 0; k < n; k++) {
        if (rng.uniform() < 0.2) bytes.push(Math.floor(rng.uniform() * 256));
        else bytes.push(...pieces[Math.floor(rng.uniform() * pieces.length)]);
      }
      const buf = Uint8Array.from(bytes);
      let valid = true;
      try {
        fatal.decode(buf);
      } catch {
        valid = false;
      }
      const at = firstInvalidUtf8(buf);
      expect(at === -1, `bytes ${Buffer.from(buf).toString("hex")}`).toBe(valid);
      if (!valid) {
        // everything before the reported byte decodes; the reported byte starts a bad sequence
        expect(() => fatal.decode(buf.subarray(0, at))).not.toThrow();
      }
    }
    expect(decodeUtf8("x", Buffer.from("ok"))).toBe("ok");
  });
});

describe("validation size larger than the data allows", () => {
  const examples = (n: number, prefix: string): Example[] =>
    Array.from({ length: n }, (_, i) => ({ input: `${prefix}${i}`, answers: [`a${i}`, `b${i}`] }));
  const task = (name: string, induce: number, execute: number): Task => ({
    name,
    source: execute > 0 ? "instruction-induction" : "file",
    metric: "em",
    induce: examples(induce, "q"),
    execute: examples(execute, "t"),
  });
  const sha = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);

  it("leaves the splits of tasks with enough data bit-identical, with no notes", () => {
    // hashes of the splits computed by the code before notes existed
    const a = splitTask(task("big", 90, 0), { seed: 0 });
    expect(a.notes).toBeUndefined();
    expect(Object.keys(a)).toEqual(["promptGen", "validation", "test"]);
    expect(a.validation).toHaveLength(20);
    expect(sha(a)).toBe("d67808fccccedc69");
    const b = splitTask(task("ex", 60, 150), { seed: 1, validationSize: 10 });
    expect(b.notes).toBeUndefined();
    expect(sha(b)).toBe("695e8cf803f0aa62");
  });

  it("uses what there is and says so", () => {
    const f = splitTask(task("f30", 30, 0), { seed: 0 });
    expect(f.validation).toHaveLength(10);
    expect(f.notes).toEqual([
      "validation: 10 examples (20 requested; the task has 30 examples: 10 held out for test, 10 demos for the generator, 10 left)",
    ]);
    // the same examples as before notes existed
    expect(sha({ promptGen: f.promptGen, validation: f.validation, test: f.test })).toBe("a6cae9a74e7fa517");

    const e = splitTask(task("e14", 14, 30), { seed: 0 });
    expect(e.validation).toHaveLength(7);
    expect(e.notes).toEqual([
      "validation: 7 examples (20 requested; the task has 14 examples besides its 30 test examples: 7 demos for the generator, 7 left)",
    ]);
    expect(sha({ promptGen: e.promptGen, validation: e.validation, test: e.test })).toBe("5361efc098662178");

    // a smaller request that fits has no note
    expect(splitTask(task("e14", 14, 30), { seed: 0, validationSize: 7 }).notes).toBeUndefined();
  });

  it("notes a short validation set of a user file loaded from disk", async () => {
    const rows = Array.from({ length: 9 }, (_, i) => ({ input: `w${i}`, output: `W${i}` }));
    const t = await loadTask(file("nine.jsonl", jsonl(rows)));
    const s = splitTask(t, { validationSize: 5 });
    expect(s.validation).toHaveLength(3);
    expect(s.notes?.[0]).toMatch(
      /^validation: 3 examples \(5 requested; the task has 9 examples: 3 held out/,
    );
  });
});
