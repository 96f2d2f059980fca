/**
 * Clean-up of generated instructions. Small chat models rarely answer with the bare instruction: they
 * say "Sure! Here is the instruction: ...", wrap it in quotes or markdown, restate "The instruction was
 * to ...", or go on with invented "Input: ... / Output: ..." pairs and chatter. {@link cleanInstruction}
 * turns such an answer into the instruction alone, by these rules (in this order; the whole pass is
 * repeated until nothing changes, so the function is idempotent, and no rule adds text, so the result is
 * never longer than the input):
 *
 * 1. Model special tokens: turn markers (<|im_start|>assistant, Llama 3 headers, <start_of_turn>model,
 *    [INST], <s>) are removed; the first end-of-turn token after some text (<|im_end|>, <|eot_id|>,
 *    </s>, <|endoftext|>, <|end|>, <end_of_turn>) ends the answer; other <|...|> tokens are removed.
 *    Line ends are normalised; code-fence lines (```), horizontal rules (---) and zero-width characters
 *    are removed.
 * 2. Leading chatter and prefixes are dropped, repeatedly, also across lines and inside markdown
 *    (`**Instruction:**`, `## Instruction`): interjections ("Sure!", "Certainly,", "Of course.",
 *    "Okay,", "I'd be happy to help!", "Thank you for the examples!", "Here you go!"), the model talking
 *    about itself ("As an AI language model,", "I'm an AI assistant and ...", "I cannot be certain,
 *    but", "I don't have access to ..., but", "I analyzed the examples."), lead-ins ("Here is/Here's
 *    (the|an) instruction ...:"; a "Here is ..." line without a colon is dropped whole; only when the
 *    lead-in names the answer, instruction, prompt, steps ..., so that "Here is a word; give its
 *    opposite." stays), "Based on the examples," and similar,
 *    hedges ("It seems that", "I think"), restatements ("The instruction was (to)", "The instruction
 *    is:", "The task is to", "The friend was asked to", "it was probably to", an optional "to" after a
 *    colon) and labels
 *    ("Instruction:", "Prompt:", "Answer:", a heading line "Instruction").
 * 3. Invented demos: leading "Input:"/"Output:"/"Example" lines are dropped (but not a first "Output:"
 *    line with three words or more and no "Input" before it: "Output: the first letter of the word." is
 *    an instruction); the text is cut at the
 *    first later such line, at a line starting with "Note:"/"Explanation:"/"This instruction ...", and
 *    at an inline "Input:"/"Output:"/"For example" after the end of a sentence.
 * 4. The first paragraph (blocks separated by blank lines) that has a letter or digit is kept: an
 *    instruction is one sentence or a few. A paragraph ending with a colon or a numbered item goes on
 *    into the next one when that starts with a list item (steps under "Follow these steps:").
 * 5. Lists: a paragraph that starts with a list item (-, *, •, 1., 1), a), "Instruction 1:", "Step 1:")
 *    keeps its first item only (small models list alternative instructions), unless it is a list of
 *    steps: numbered items, a lead-in (dropped by rule 2) that does not announce alternatives, and
 *    either a lead-in that announces steps, "Step N" labels or a later item starting with a sequence
 *    word ("Then", "Finally" ...): then every step is kept. Otherwise the list markers of its lines are
 *    removed. Empty items are ignored.
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
    ...(candidate.demos ? { demos: candidate.demos } : {}),
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

/** A "Here is ..." lead-in talks about the answer when it names one of these (rule 2). */
const ABOUT_ANSWER = String.raw`\b(?:(?:instruction|prompt|answer|response|task|guess|attempt|suggestion|option|version|alternative|step)s?\b|(?:what|my|mine|one|it|you go)\b)`;

/** Leading chatter and prefixes (rule 2), tried in turn at the start of the text until none matches. */
const PREFIXES: readonly RegExp[] = [
  // interjections: followed by punctuation or the end of the line
  prefix(
    String.raw`(?:sure(?: thing)?|certainly|of course|absolutely|okay|ok|alright|all right|great|got it|no problem|yes|gladly|happy to help|great question|good question|here you go|here it is|there you go)${MD_CLOSE}(?:[ \t]*[!.,:;]+|${EOL})`,
  ),
  prefix(
    String.raw`(?:i can help(?: you)? with (?:that|this)|i(?:'d|’d| would) be (?:happy|glad) to help(?: with (?:that|this))?|let(?:'s|’s| me) (?:see|think|figure[^\n.!?:]*)|i understand(?: the (?:task|pattern))?|thanks?(?: you)?(?: for [^\n.!?:]{0,60})?)[ \t]*[.!:]+`,
  ),
  // "Here is the instruction:" (up to a colon), or a whole "Here is ..." line without one
  // (only when the line is about the answer: "Here is a word; give its opposite." is an instruction)
  prefix(
    String.raw`(?:here(?:'s|’s| is| are)|below is)\b(?=[^\n:：]*${ABOUT_ANSWER})[^\n:：]{0,100}[:：]${MD_CLOSE}`,
  ),
  prefix(
    String.raw`(?:here(?:'s|’s| is| are)|below is)\b(?=[^\n.!?:：,]*${ABOUT_ANSWER})[^\n.!?:：,]{0,100}[.!]?${MD_CLOSE}${EOL}`,
  ),
  // the model talking about itself: "As an AI language model,", "I'm an AI assistant and ...",
  // "I cannot be certain, but", "I don't have access to ..., but", "I analyzed the examples."
  prefix(
    String.raw`as an?[ \t]+(?:(?:ai|artificial intelligence|large|helpful|virtual|honest|text-based)[ \t]+)*(?:ai|language model|model|assistant|llm|chatbot|bot)\b[^\n,.:;!?]{0,60}[,:;]?`,
  ),
  prefix(
    String.raw`i(?:'m|’m| am)[ \t]+(?:just[ \t]+|only[ \t]+|not[ \t]+)?an?[ \t]+(?:(?:ai|large|helpful|virtual)[ \t]+)*(?:ai|language model|model|assistant|llm|chatbot|bot)\b[^\n.!?]{0,120}[.!]`,
  ),
  prefix(
    String.raw`i[ \t]+(?:cannot|can't|can’t|can not|could not|couldn't|couldn’t|do not|don't|don’t|am not (?:able|sure|certain)|am unable|have no|do not have|don't have|don’t have)\b[^\n.!?]{0,150}?(?:,[ \t]*but\b|[.!])`,
  ),
  prefix(
    String.raw`i[ \t]+(?:have[ \t]+)?(?:analy[sz]ed|looked at|reviewed|examined|studied|considered|went through|checked|read)\b[^\n.!?:]{0,120}[.!:]`,
  ),
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
    String.raw`(?:it|that)[ \t]+(?:was|is|would be)(?:[ \t]+(?:most likely|very likely|likely|probably|simply))?[ \t]+to\b`,
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
  /^[ \t]*(?:[-*+•●▪◦‣]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)](?=[ \t])|(?:\*\*|__)?(?:instruction|option|alternative|step)[ \t]*\d{1,2}[ \t]*(?:\*\*|__)?[ \t]*[:.)](?:\*\*|__)?)[ \t]+/i;
/** A numbered list item: "1.", "2)", "(3)", "Step 4:" (rule 5: only numbered lists can be steps). */
const NUMBERED_ITEM =
  /^[ \t]*(?:\d{1,2}[.)]|\(\d{1,2}\)|(?:\*\*|__)?step[ \t]*\d{1,2}[ \t]*(?:\*\*|__)?[ \t]*[:.)](?:\*\*|__)?)[ \t]+/i;
/** An item labelled "Step N" (rule 5). */
const STEP_LABEL = /^[ \t]*(?:\*\*|__)?step[ \t]*\d/i;
/** A later item that continues a procedure (rule 5). */
const SEQUENCE_WORD =
  /^(?:then|next|after(?:wards| that| this)?|finally|lastly|second(?:ly)?|third(?:ly)?|now|last)\b/i;
/** A lead-in announcing steps, or alternatives (rule 5). */
const STEPS_CUE = /\bsteps?\b|\bprocedure\b|\bprocess\b/i;
const ALTERNATIVES_CUE =
  /\b(?:instructions|options|alternatives|possibilities|versions|variants|candidates|possible|suggest\w*|ways)\b/i;
/** Model special tokens: the end of a turn (the answer ends there) and other markers (removed). */
const END_TOKEN =
  /<\|(?:im_end|eot_id|eom_id|endoftext|end_of_text|end|end▁of▁sentence)\|>|<\/s>|<end_of_turn>|<\|end_of_turn\|>/;
const TURN_START =
  /<\|im_start\|>[ \t]*(?:system|user|assistant)?|<\|start_header_id\|>[^<\n]{0,20}<\|end_header_id\|>|<start_of_turn>(?:[ \t]*(?:model|user))?|<\|(?:assistant|user|system)\|>|\[\/?INST\]|<<\/?SYS>>|<s>|<\|begin_of_text\|>/g;
const OTHER_TOKEN = /<\|[A-Za-z0-9_▁]{1,40}\|>/g;

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
  let s = specialTokensRemoved(input)
    .replace(/\r\n?/g, "\n")
    .replace(/[\u200B-\u200D\uFEFF]/g, "")
    .replace(/^[ \t]*(?:```|~~~)[^\n]*$/gm, "")
    .replace(/^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$/gm, "")
    .trim();

  // rule 2: leading chatter and prefixes
  let stripped = false;
  let lead = "";
  for (let changed = true; changed; ) {
    changed = false;
    for (const re of PREFIXES) {
      const m = re.exec(s);
      if (m && m[0].length > 0) {
        lead += ` ${m[0]}`;
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
  let sawInput = false;
  while (first < lines.length && (lines[first].trim() === "" || DEMO_LINE.test(lines[first]))) {
    if (!sawInput && lines[first].trim() !== "" && isOutputInstruction(lines[first])) break;
    if (/input/i.test(lines[first])) sawInput = true;
    first++;
  }
  lines = lines.slice(first);
  const cut = lines.findIndex((l, i) => i > 0 && (DEMO_LINE.test(l) || CUT_LINE.test(l)));
  if (cut >= 0) lines = lines.slice(0, cut);
  s = lines.join("\n");
  const inline = INLINE_DEMO.exec(s);
  if (inline) s = s.slice(0, inline.index);

  // rule 4: the first paragraph with content
  s = firstParagraph(s);

  // rule 5: lists
  lines = s.split("\n").filter((l) => l.replace(LIST_ITEM, "").trim() !== "");
  if (lines.length > 0 && LIST_ITEM.test(lines[0]) && !isStepList(lines, lead)) {
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

/**
 * Rule 1: model special tokens. Turn markers (<|im_start|>assistant, Llama 3 headers, <start_of_turn>,
 * [INST], <s>) are removed; the first end-of-turn token (<|im_end|>, <|eot_id|>, </s>, <|endoftext|>,
 * <|end|>, <end_of_turn>) after some text ends the answer (what follows is another turn); one before any
 * text is removed; any other <|...|> token is removed.
 */
function specialTokensRemoved(text: string): string {
  let s = text.replace(TURN_START, "\n");
  for (let m = END_TOKEN.exec(s); m; m = END_TOKEN.exec(s)) {
    const before = s.slice(0, m.index);
    s = HAS_CONTENT.test(before.replace(OTHER_TOKEN, "")) ? before : s.slice(m.index + m[0].length);
  }
  return s.replace(OTHER_TOKEN, " ");
}

/**
 * Rule 3: a leading "Output: ..." line that is an instruction ("Output: the first letter of the word."),
 * not the output of an invented demo: no "Input" line before it and at least three words after the label.
 */
function isOutputInstruction(line: string): boolean {
  const m = /^[ \t]*(?:\*\*|__)?[ \t]*outputs?[ \t]*(?:\*\*|__)?[ \t]*[:：](?:\*\*|__)?[ \t]*(.*)$/i.exec(
    line,
  );
  return (
    !!m &&
    m[1]
      .trim()
      .split(/\s+/)
      .filter((w) => HAS_CONTENT.test(w)).length >= 3
  );
}

/**
 * Rule 4: the first paragraph with content, continued by the paragraphs of its list: a paragraph that
 * ends with a colon ("Follow these steps:") or with a numbered item takes in the next one when that
 * starts with a list item.
 */
function firstParagraph(s: string): string {
  const paras = s.split(/\n[ \t]*\n/);
  let i = paras.findIndex((p) => HAS_CONTENT.test(p));
  if (i < 0) return "";
  let p = paras[i];
  while (i + 1 < paras.length && LIST_ITEM.test(paras[i + 1])) {
    const last = p.split("\n").at(-1) ?? "";
    if (!/[:：][ \t]*(?:\*\*|__)?[ \t]*$/.test(p) && !NUMBERED_ITEM.test(last)) break;
    p += `\n${paras[++i]}`;
  }
  return p;
}

/**
 * Rule 5: a list that starts the paragraph is a list of steps (kept whole) rather than alternative
 * instructions (first kept) when its items are numbered (1., 2), Step 3:), its lead-in (the prefixes
 * dropped by rule 2) does not announce alternatives ("possible instructions:"), and either the lead-in
 * announces steps ("Here are the steps:"), the items are labelled "Step N", or a later item goes on
 * with a sequence word ("Then ...", "Finally, ...").
 */
function isStepList(lines: readonly string[], lead: string): boolean {
  const items = lines.filter((l) => LIST_ITEM.test(l));
  if (items.length < 2 || !items.every((l) => NUMBERED_ITEM.test(l)) || ALTERNATIVES_CUE.test(lead))
    return false;
  return (
    STEPS_CUE.test(lead) ||
    items.every((l) => STEP_LABEL.test(l)) ||
    items.slice(1).some((l) => SEQUENCE_WORD.test(l.replace(LIST_ITEM, "").replace(/^[*_]+/, "")))
  );
}
