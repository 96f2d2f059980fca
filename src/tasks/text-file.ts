import { UserError } from "../util/errors.js";

/**
 * Offset of the first byte where `bytes` stops being well-formed UTF-8 (the lead byte of a bad or
 * truncated sequence, or a stray continuation byte), or -1 when it is all valid. Same verdict as
 * `new TextDecoder("utf-8", { fatal: true })`: no overlong forms, surrogates or code points above
 * U+10FFFF.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < n && bytes[j] >= lo && bytes[j] <= hi;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2)) return i;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2) || !cont(i + 3)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return -1;
}

/** 1-based line and byte column of `offset` in `bytes` (lines end at "\n"). */
export function lineOfOffset(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * The text of a file's bytes, which must be UTF-8 (a leading byte-order mark is dropped). Invalid
 * UTF-8 is a UserError naming the file, the line and the byte, instead of being silently replaced
 * by U+FFFD.
 */
export function decodeUtf8(path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    if (at < 0) throw new UserError(`${path}: not valid UTF-8; save the file as UTF-8`);
    const { line, column } = lineOfOffset(bytes, at);
    const hex = bytes[at].toString(16).padStart(2, "0");
    throw new UserError(
      `${path}:${line}: not valid UTF-8 (byte 0x${hex} at byte ${column} of the line); save the file as UTF-8`,
    );
  }
}
