/**
 * Clean-up of generated instructions. Small chat models rarely answer with the bare instruction: they
 * say "Sure! Here is the instruction: ...", wrap it in quotes or markdown, restate "The instruction was
 * to ...", or go on with invented "Input: ... / Output: ..." pairs and chatter. {@link cleanInstruction}
 * turns such an answer into the instruction alone, by these rules (in this order; the whole pass is
 * repeated until nothing changes, so the function is idempotent, and no rule adds text, so the result is
 * never longer than the input):
 *
 * 1. Line ends are normalised; code-fence lines (```), horizontal rules (---) and zero-width characters
 *    are removed.
 * 2. Leading chatter and prefixes are dropped, repeatedly, also across lines and inside markdown
 *    (`**Instruction:**`, `## Instruction`): interjections ("Sure!", "Certainly,", "Of course.",
 *    "Okay,", "I'd be happy to help!", "Thank you for the examples!"), lead-ins ("Here is/Here's (the|an) instruction ...:"; a
 *    "Here is ..." line without a colon is dropped whole), "Based on the examples," and similar,
 *    hedges ("It seems that", "I think"), restatements ("The instruction was (to)", "The instruction
 *    is:", "The task is to", "The friend was asked to", an optional "to" after a colon) and labels
 *    ("Instruction:", "Prompt:", "Answer:", a heading line "Instruction").
 * 3. Invented demos: leading "Input:"/"Output:"/"Example" lines are dropped; the text is cut at the
 *    first later such line, at a line starting with "Note:"/"Explanation:"/"This instruction ...", and
 *    at an inline "Input:"/"Output:"/"For example" after the end of a sentence.
 * 4. The first paragraph (blocks separated by blank lines) that has a letter or digit is kept: an
 *    instruction is one sentence or a few.
 * 5. Lists: a paragraph that starts with a list item (-, *, •, 1., 1), a), "Instruction 1:") keeps its
 *    first item only (small models list alternative instructions); otherwise the list markers of its
 *    lines are removed. Empty items are ignored.
 * 6. Whitespace is collapsed to single spaces (lines are joined).
 * 7. Wrappers around the whole instruction are removed, repeatedly: headings (#), block quotes (>),
 *    **bold**, __bold__, *italic*, _italic_, `code`, and matching quotes ("", '', “”, ‘’, «», „“); a
 *    period after a closing quote moves inside ("Add the numbers". -> Add the numbers.). Bold inside
 *    the instruction (Reverse the **word**) loses its asterisks.
 * 8. Trailing chatter sentences are dropped ("I hope this helps!", "Let me know if ...", "Feel free to
 *    ...", "Good luck!", trailing emoji), as is leading punctuation left by a prefix (": Add").
 * 9. When a prefix was dropped (rule 2) and the rest starts with a lowercase letter, that letter is
 *    capitalised: "The instruction was to add the numbers." -> "Add the numbers.".
 * 10. Text with no letter or digit left (":", "?", "**", whitespace) gives "": nothing instruction-like.
 *
 * Deterministic and pure. An empty result is never scored as an instruction: see
 * {@link emptyInstructionRecord}.
 */
import { zeroUsage } from "../blackbox/usage.js";
import type { EvaluationRecord } from "../store/types.js";
import type { Candidate } from "./candidate.js";

/** Clean a generated instruction (see the module comment for the rules); "" when nothing is left. */
export function cleanInstruction(text: string): string {
  let s = text;
  for (let i = 0; i < 32; i++) {
    const next = cleanOnce(s);
    if (next === s) break;
    s = next;
  }
  return s;
}

/** True when `instruction` is empty (after clean-up, or raw and whitespace only). */
export function isEmptyInstruction(instruction: string): boolean {
  return instruction.trim() === "";
}

/**
 * The record of a candidate whose instruction is empty: score 0 on each of the `validationSize`
 * examples, no black-box call (outputs "", calls 0, reused false), marked `empty`. Usage spent to obtain
 * the candidate (an ape proposal) is kept.
 */
export function emptyInstructionRecord(candidate: Candidate, validationSize: number): EvaluationRecord {
  const p = candidate.proposalUsage ?? zeroUsage();
  return {
    index: candidate.index,
    iteration: candidate.iteration,
    z: candidate.z,
    instruction: candidate.instruction,
    generationMs: candidate.generationMs,
    ...(candidate.origin ? { origin: candidate.origin } : {}),
    score: 0,
    scores: new Array(validationSize).fill(0),
    outputs: new Array(validationSize).fill(""),
    empty: true,
    reused: false,
    calls: p.calls,
    cacheHits: p.cacheHits,
    inputTokens: p.inputTokens,
    outputTokens: p.outputTokens,
    costUsd: p.costUsd,
    evaluationMs: 0,
  };
}

/** Markdown that may open a prefix: heading marks, block quotes, bold or italic. */
const MD_OPEN = String.raw`(?:[#>]+[ \t]*)*(?:\*\*|__|\*|_)?[ \t]*`;
/** Markdown that may close a prefix. */
const MD_CLOSE = String.raw`[ \t]*(?:\*\*|__|\*|_)?`;
/** A colon or dash ending a label, with the markdown that may close it. */
const COLON = String.raw`[ \t]*[:：\-–—][ \t]*(?:\*\*|__|\*|_)?`;
/** End of the line (lookahead). */
const EOL = String.raw`[ \t]*(?=\n|$)`;

const prefix = (body: string) => new RegExp(`^${MD_OPEN}(?:${body})`, "i");

/** Leading chatter and prefixes (rule 2), tried in turn at the start of the text until none matches. */
const PREFIXES: readonly RegExp[] = [
  // interjections: followed by punctuation or the end of the line
  prefix(
    String.raw`(?:sure(?: thing)?|certainly|of course|absolutely|okay|ok|alright|all right|great|got it|no problem|yes|gladly|happy to help|great question|good question)${MD_CLOSE}(?:[ \t]*[!.,:;]+|${EOL})`,
  ),
  prefix(
    String.raw`(?:i can help(?: you)? with (?:that|this)|i(?:'d|’d| would) be (?:happy|glad) to help(?: with (?:that|this))?|let(?:'s|’s| me) (?:see|think|figure[^\n.!?:]*)|i understand(?: the (?:task|pattern))?|thanks?(?: you)?(?: for [^\n.!?:]{0,60})?)[ \t]*[.!:]+`,
  ),
  // "Here is the instruction:" (up to a colon), or a whole "Here is ..." line without one
  prefix(String.raw`(?:here(?:'s|’s| is| are)|below is)\b[^\n:：]{0,100}[:：]${MD_CLOSE}`),
  prefix(String.raw`(?:here(?:'s|’s| is| are)|below is)\b[^\n.!?:：,]{0,100}[.!]?${MD_CLOSE}${EOL}`),
  // "Based on the examples,"
  prefix(String.raw`based on\b[^\n,:：.]{0,80}[,:：]`),
  prefix(
    String.raw`(?:from|looking at|given|according to|judging (?:by|from)|after (?:reviewing|analy[sz]ing|looking at))[ \t]+(?:the[ \t]+|these[ \t]+|this[ \t]+|those[ \t]+|your[ \t]+)?(?:above[ \t]+|provided[ \t]+|given[ \t]+)?(?:examples?|input[- ]output pairs?|pairs?|inputs? and outputs?|demonstrations?|demos?|patterns?|information)(?:[ \t]+(?:provided|given|above|shown|you (?:gave|provided)(?: me)?))?[ \t]*[,:：]`,
  ),
  // hedges
  prefix(
    String.raw`(?:it (?:seems|appears|looks)(?: like)?(?: that)?|i (?:think|believe|guess|would say)(?: that)?|i(?:'d|’d) say(?: that)?|my (?:guess|answer) is(?: that)?|most likely|probably)[ \t]*,?(?=[ \t\n])`,
  ),
  // restatements of the question: "The instruction was to", "The instruction is:", "The task is to"
  prefix(
    String.raw`(?:so,?[ \t]+)?(?:the|your|my|this|an?)[ \t]+(?:(?:friend(?:'s|’s)?|original|correct|given|new|final|likely|possible|actual)[ \t]+)?instructions?(?:[ \t]+(?:given[ \t]+)?to[ \t]+(?:the|my|your)[ \t]+friend)?[ \t]+(?:was|is|were|are|would be|might be|could be|must be|may be|should be|seems to be|appears to be|might have been|must have been|could have been|probably was|was probably|given was)\b(?:[ \t]+(?:most likely|very likely|likely|probably|clearly|simply|basically))?${MD_CLOSE}(?:${COLON})?(?:[ \t]*to\b)?(?:${COLON})?`,
  ),
  prefix(
    String.raw`(?:so,?[ \t]+)?(?:the|your|my)[ \t]+(?:task|goal|job|objective)[ \t]+(?:was|is|would be|seems to be)(?:${COLON}(?:[ \t]*to\b)?|[ \t]+to\b)(?:${COLON})?`,
  ),
  prefix(
    String.raw`(?:the|my|your)[ \t]+friend[ \t]+(?:was|is|had been)[ \t]+(?:told|asked|instructed|supposed)[ \t]+to\b(?:${COLON})?`,
  ),
  prefix(
    String.raw`(?:i|you)[ \t]+gave[ \t]+(?:my|your|a)[ \t]+friend[ \t]+(?:the|an)[ \t]+instruction[ \t]+to\b`,
  ),
  // labels: "Instruction:", "**Prompt:**", "Answer -", a heading line "## Instruction"
  prefix(
    String.raw`(?:the[ \t]+)?(?:(?:new|final|possible|suggested|generated|proposed|my|one|short|revised|improved)[ \t]+)?(?:instructions?|prompt|task(?:[ \t]+description)?|answer|response)(?:[ \t]+(?:for|to)[ \t]+(?:the|my|your)[ \t]+(?:friend|task))?${MD_CLOSE}(?:${COLON}|${EOL})`,
  ),
];

/** A line of an invented demo (rule 3). */
const DEMO_LINE =
  /^[ \t]*(?:[#>*_\-•]+[ \t]*)?(?:\*\*|__)?[ \t]*(?:(?:(?:sample|example|new|another|test)[ \t]+)?(?:input|output)s?(?:[ \t]*\d+)?[ \t]*(?:\*\*|__)?[ \t]*[:：]|(?:for[ \t]+)?examples?\b|e\.g\.[ \t]*[:：])/i;
/** A line that ends the instruction: notes and explanations (rule 3). */
const CUT_LINE =
  /^[ \t]*(?:[#>*_\-•]+[ \t]*)?(?:\*\*|__)?[ \t]*(?:(?:note|explanation|reasoning|rationale)(?:\*\*|__)?[ \t]*[:：]|(?:this|the above)[ \t]+instruction\b)/i;
/** An inline demo or example after the end of a sentence (rule 3). */
const INLINE_DEMO =
  /(?<=[.!?:;)"”'’])[ \t]+(?:(?:Input|INPUT|Output|OUTPUT)(?:[ \t]*\d+)?[ \t]*:|(?:For example|Example|Examples|E\.g\.)\b)/;
/** A list item marker (rule 5). */
const LIST_ITEM =
  /^[ \t]*(?:[-*+•●▪◦‣]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)](?=[ \t])|(?:\*\*|__)?(?:instruction|option|alternative)[ \t]*\d{1,2}[ \t]*(?:\*\*|__)?[ \t]*[:.)](?:\*\*|__)?)[ \t]+/i;
/** Trailing chatter sentences (rule 8). */
const TRAILING_CHATTER =
  /(?:^|(?<=[.!?:;)"”'’]))[ \t]*(?:i hope (?:this|that|it) helps|hope (?:this|that|it) helps|let me know\b|feel free to (?:ask|reach out|let me know|contact)\b|(?:is there )?anything else (?:i can|you need|you(?:'d|’d) like)\b|good luck\b|happy [a-z]+ing\b|thanks?(?: you)?\b|cheers\b)[^.!?]*[.!?]*[ \t]*(?:\p{Extended_Pictographic}[ \t]*)*$/iu;
const TRAILING_EMOJI = /[ \t]*(?:\p{Extended_Pictographic}|\uFE0F)+[ \t]*$/u;
const HAS_CONTENT = /[\p{L}\p{N}]/u;

/** Opening quote -> closing quote. */
const QUOTES: Record<string, string> = {
  '"': '"',
  "'": "'",
  "“": "”",
  "‘": "’",
  "«": "»",
  "„": "“",
};

/** One pass of the rules. */
function cleanOnce(input: string): string {
  let s = input
    .replace(/\r\n?/g, "\n")
    .replace(/[\u200B-\u200D\uFEFF]/g, "")
    .replace(/^[ \t]*(?:```|~~~)[^\n]*$/gm, "")
    .replace(/^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$/gm, "")
    .trim();

  // rule 2: leading chatter and prefixes
  let stripped = false;
  for (let changed = true; changed; ) {
    changed = false;
    for (const re of PREFIXES) {
      const m = re.exec(s);
      if (m && m[0].length > 0) {
        s = s.slice(m[0].length).trimStart();
        stripped = true;
        changed = true;
        break;
      }
    }
  }

  // rule 3: invented demos and notes
  let lines = s.split("\n");
  let first = 0;
  while (first < lines.length && (lines[first].trim() === "" || DEMO_LINE.test(lines[first]))) first++;
  lines = lines.slice(first);
  const cut = lines.findIndex((l, i) => i > 0 && (DEMO_LINE.test(l) || CUT_LINE.test(l)));
  if (cut >= 0) lines = lines.slice(0, cut);
  s = lines.join("\n");
  const inline = INLINE_DEMO.exec(s);
  if (inline) s = s.slice(0, inline.index);

  // rule 4: the first paragraph with content
  s = s.split(/\n[ \t]*\n/).find((p) => HAS_CONTENT.test(p)) ?? "";

  // rule 5: lists
  lines = s.split("\n").filter((l) => l.replace(LIST_ITEM, "").trim() !== "");
  if (lines.length > 0 && LIST_ITEM.test(lines[0])) {
    const next = lines.findIndex((l, i) => i > 0 && LIST_ITEM.test(l));
    lines = lines.slice(0, next < 0 ? lines.length : next);
  }
  lines = lines.map((l) => l.replace(LIST_ITEM, ""));

  // rule 6: whitespace
  s = lines.join(" ").replace(/\s+/g, " ").trim();

  // rule 7: wrappers
  s = s.replace(/\*\*([^*\n]+?)\*\*/g, "$1");
  for (let changed = true; changed; ) {
    const before = s;
    s = unwrap(s.replace(/^#{1,6}[ \t]+/, "").replace(/^>[ \t]*/, "")).trim();
    changed = s !== before;
  }

  // rule 8: trailing chatter, leading punctuation
  for (let changed = true; changed; ) {
    const before = s;
    s = s.replace(TRAILING_CHATTER, "").replace(TRAILING_EMOJI, "").trim();
    changed = s !== before;
  }
  s = s.replace(/^[\s:：\-–—,;.]+/, "");

  // rule 9: capitalise after a dropped prefix
  if (stripped && /^[a-z]/.test(s)) s = s[0].toUpperCase() + s.slice(1);

  // rule 10: nothing instruction-like left
  return HAS_CONTENT.test(s) ? s : "";
}

/** Remove one wrapper (markdown emphasis, code or quotes) around the whole text, if any. */
function unwrap(s: string): string {
  for (const d of ["**", "__", "``", "*", "_", "`"]) {
    if (s.length > 2 * d.length && s.startsWith(d) && s.endsWith(d)) {
      const inner = s.slice(d.length, -d.length);
      if (!inner.includes(d[0]) && inner.trim() === inner) return inner;
    }
  }
  const close = QUOTES[s[0]];
  if (close === undefined) return s;
  let body = s.slice(1);
  let trailing = "";
  // a closing quote followed by sentence punctuation: "Add the numbers".
  if (!body.endsWith(close) && /[.!?]$/.test(body) && body.slice(0, -1).endsWith(close)) {
    trailing = body.slice(-1);
    body = body.slice(0, -1);
  }
  if (body.length < 2 || !body.endsWith(close)) return s;
  const inner = body.slice(0, -close.length);
  if (!HAS_CONTENT.test(inner) || inner.trim() !== inner || !balancedInner(inner, s[0], close)) return s;
  return /[.!?]$/.test(inner) ? inner : inner + trailing;
}

/**
 * True when `inner` (the text between an opening and a closing quote) holds no other quote of the
 * pair, except apostrophes between letters (friend's) for single quotes.
 */
function balancedInner(inner: string, open: string, close: string): boolean {
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c !== open && c !== close) continue;
    const apostrophe =
      (c === "'" || c === "’") && /\p{L}/u.test(inner[i - 1] ?? "") && /\p{L}/u.test(inner[i + 1] ?? "");
    if (!apostrophe) return false;
  }
  return true;
}
