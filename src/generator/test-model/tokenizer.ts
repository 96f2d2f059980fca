/**
 * A small, licence-free byte-level BPE tokenizer (GPT-2 byte alphabet) in the tokenizer.json +
 * tokenizer_config.json format, with a ChatML chat template (SmolLM2/Qwen style). Its merges are
 * generated systematically (character pairs, then lowercase triples and quadruples) until the
 * vocabulary reaches the requested size, so a test model can keep a real model's vocab shape.
 *
 * Ids: 0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|> (EOS), 3..258 the 256 bytes, then merges.
 */

/** Special tokens of the test tokenizer, in id order. */
export const TEST_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;
/** Id of the end-of-turn token the test models stop on. */
export const TEST_EOS_ID = 2;
/** Id of the BOS token. */
export const TEST_BOS_ID = 1;

/** ChatML chat template with a default system line (rendered by @huggingface/jinja). */
export const TEST_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
  "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}" +
  "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/** GPT-2 byte -> printable unicode char table. */
export function byteToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  const out = new Array<string>(256);
  bs.forEach((b, i) => {
    out[b] = String.fromCodePoint(cs[i]);
  });
  return out;
}

/** The two files of a tokenizer, as JSON-serialisable objects. */
export interface TokenizerFiles {
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/**
 * Build a tokenizer with exactly `vocabSize` entries (>= 259 and <= 259 + merges available).
 * Merge priority: pairs of frequent characters first, so common letter pairs become tokens.
 */
export function buildTestTokenizer(vocabSize: number): TokenizerFiles {
  const b2u = byteToUnicode();
  const vocab: Record<string, number> = {};
  TEST_SPECIAL_TOKENS.forEach((s, i) => {
    vocab[s] = i;
  });
  for (let b = 0; b < 256; b++) vocab[b2u[b]] = 3 + b;
  let size = 3 + 256;
  if (vocabSize < size) throw new Error(`tokenizer vocab must be >= ${size}, got ${vocabSize}`);
  const merges: [string, string][] = [];
  const add = (a: string, b: string): boolean => {
    if (size >= vocabSize) return false;
    if (vocab[a + b] !== undefined) return true;
    vocab[a + b] = size++;
    merges.push([a, b]);
    return true;
  };
  const space = b2u[32];
  const lower = `${space}etaoinshrdlcumwfgypbvkjxqz`.split("");
  const printable: string[] = lower.slice();
  for (let c = 33; c <= 126; c++) if (!printable.includes(b2u[c])) printable.push(b2u[c]);
  // level 2: pairs (ordered by rank sum: frequent letters first); a trailing space never merges
  const pairs: [string, string, number][] = [];
  printable.forEach((a, i) => {
    printable.forEach((b, j) => {
      if (b !== space) pairs.push([a, b, i + j]);
    });
  });
  pairs.sort((p, q) => p[2] - q[2]);
  for (const [a, b] of pairs) if (!add(a, b)) break;
  // levels 3 and 4: (lowercase prefix, lowercase letter)
  let prev = lower.flatMap((a) => lower.filter((b) => b !== space).map((b) => a + b));
  for (let level = 3; level <= 6 && size < vocabSize; level++) {
    const next: string[] = [];
    for (const p of prev)
      for (const c of lower) {
        if (c === space) continue;
        if (!add(p, c)) break;
        next.push(p + c);
      }
    prev = next;
  }
  if (size !== vocabSize) throw new Error(`cannot build a tokenizer with ${vocabSize} entries (max ${size})`);
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: TEST_SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    add_prefix_space: false,
    bos_token: TEST_SPECIAL_TOKENS[TEST_BOS_ID],
    eos_token: TEST_SPECIAL_TOKENS[TEST_EOS_ID],
    pad_token: TEST_SPECIAL_TOKENS[0],
    unk_token: TEST_SPECIAL_TOKENS[0],
    additional_special_tokens: ["<|im_start|>", "<|im_end|>"],
    model_max_length: 2048,
    clean_up_tokenization_spaces: false,
    chat_template: TEST_CHAT_TEMPLATE,
    added_tokens_decoder: Object.fromEntries(
      TEST_SPECIAL_TOKENS.map((content, id) => [
        String(id),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
  };
  return { tokenizer, tokenizerConfig };
}
