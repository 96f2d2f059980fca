/**
 * Text side of a generator model: the tokenizer (@huggingface/tokenizers) and the chat template
 * (@huggingface/jinja), as transformers' apply_chat_template does it (the rendered text already
 * holds the special tokens, so it is encoded without adding more).
 */
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { UserError } from "../util/errors.js";
import type { ModelFolder } from "./model-folder.js";

/** One chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Token content of a special-token entry in tokenizer_config.json (string or AddedToken object). */
function tokenText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string")
    return (v as { content: string }).content;
  return undefined;
}

/**
 * The tokenizer calls used here: a structural view of @huggingface/tokenizers' Tokenizer, so that the
 * published .d.ts does not import that package (its own .d.ts does not resolve for a consumer under
 * `moduleResolution: NodeNext` with `skipLibCheck: false`: extensionless relative imports).
 */
export interface ChatTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  token_to_id(token: string): number | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}

/** Tokenizer + chat template + stop tokens of one model folder. */
export class ChatFormat {
  readonly tokenizer: ChatTokenizer;
  private readonly template: Template | null;
  private readonly specials: Record<string, string>;
  /** Token ids that end generation (generation_config, config and tokenizer EOS). */
  readonly eosIds: ReadonlySet<number>;

  constructor(folder: ModelFolder) {
    try {
      this.tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    } catch (err) {
      throw new UserError(`${folder.dir}: cannot load tokenizer.json (${(err as Error).message})`, {
        cause: err,
      });
    }
    try {
      this.template = folder.chatTemplate ? new Template(folder.chatTemplate) : null;
    } catch (err) {
      throw new UserError(`${folder.dir}: cannot parse the chat template (${(err as Error).message})`, {
        cause: err,
      });
    }
    this.specials = {};
    for (const k of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
      const t = tokenText(folder.tokenizerConfig[k]);
      if (t !== undefined) this.specials[k] = t;
    }
    const eos = new Set<number>();
    for (const v of [folder.generationConfig.eos_token_id, folder.config.eos_token_id])
      for (const id of Array.isArray(v) ? v : [v]) if (typeof id === "number") eos.add(id);
    const eosTok = this.specials.eos_token;
    const eosId = eosTok === undefined ? undefined : this.tokenizer.token_to_id(eosTok);
    if (eosId !== undefined) eos.add(eosId);
    this.eosIds = eos;
  }

  /** True when the model has a chat template. */
  get hasTemplate(): boolean {
    return this.template !== null;
  }

  /**
   * Render messages with the chat template and the generation prompt. Without a template the
   * message contents are joined by blank lines (base models).
   */
  render(messages: ChatMessage[], addGenerationPrompt = true): string {
    if (!this.template) return messages.map((m) => m.content).join("\n\n");
    return this.template.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      ...this.specials,
    });
  }

  /** Token ids of already-templated text (no special tokens added). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of generated ids, special tokens dropped ("" for none: a row cancelled before its first token). */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
  }
}
