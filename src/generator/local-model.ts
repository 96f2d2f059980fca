/**
 * A local model folder opened for generation: resolve the source (local path or hf: id), check the
 * folder, prepare the graphs once (cached), open the ORT sessions and the chat format. Offers greedy
 * generation from embeddings (soft prompts) and a plain chat completion (the local black box).
 */
import { UserError } from "../util/errors.js";
import { ChatFormat, type ChatMessage } from "./chat.js";
import { openSession, PreparedDecoder } from "./decoder.js";
import { resolveModelSource } from "./hub.js";
import { type ModelFolder, readModelFolder } from "./model-folder.js";
import { type PreparedFiles, prepareDecoder } from "./prepare/prepare.js";

/** Options of {@link openLocalModel}. */
export interface LocalModelOptions {
  /** ONNX variant (fp32, fp16, q4 ...); default fp32. */
  dtype?: string;
  /** Hub revision for hf: sources. */
  revision?: string;
  /** ORT intra-op threads (0/undefined: ORT default, one per core). */
  threads?: number;
  /** Hub download progress callback (a bar on a TTY otherwise). */
  onProgress?: (p: { file: string; bytes: number; total?: number }) => void;
}

/** Options of one generation. */
export interface GenerateTextOptions {
  /** Max new tokens (default 128). */
  maxNewTokens?: number;
  /** Stop strings: generation ends when the text contains one; the text is cut before it. */
  stop?: string[];
  /** Ignore EOS (benchmarks that need an exact number of tokens). */
  ignoreEos?: boolean;
}

/** Output of one generated row. */
export interface GeneratedText {
  text: string;
  ids: number[];
}

/** Result of {@link LocalModel.complete}. */
export interface TextCompletion {
  text: string;
  promptTokens: number;
  newTokens: number;
  ms: number;
}

/** Cut `text` at the first stop string (if any). */
export function cutAtStop(text: string, stop: readonly string[]): { text: string; stopped: boolean } {
  let cut = -1;
  for (const s of stop) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut < 0 ? { text, stopped: false } : { text: text.slice(0, cut), stopped: true };
}

/** An opened local model. */
export class LocalModel {
  constructor(
    readonly folder: ModelFolder,
    readonly files: PreparedFiles,
    readonly chat: ChatFormat,
    readonly decoder: PreparedDecoder,
  ) {}

  /** Hidden size of the embeddings. */
  get hidden(): number {
    return this.decoder.hidden;
  }

  /** Token ids of chat messages rendered with the template and generation prompt. */
  promptIds(messages: ChatMessage[]): number[] {
    return this.chat.encode(this.chat.render(messages, true));
  }

  /**
   * Greedy generation for B prompts of equal length P given as embeddings (B, P, H).
   * Returns decoded texts (special tokens skipped, cut at stop strings, trimmed) and raw ids.
   */
  async generateFromEmbeddings(
    embeds: Float32Array,
    B: number,
    P: number,
    options: GenerateTextOptions = {},
  ): Promise<GeneratedText[]> {
    const stop = options.stop ?? [];
    const ids = await this.decoder.greedy(embeds, B, P, {
      maxNewTokens: options.maxNewTokens ?? 128,
      eosIds: options.ignoreEos ? new Set() : this.chat.eosIds,
      shouldStop: stop.length ? (_row, ids) => cutAtStop(this.chat.decode(ids), stop).stopped : undefined,
    });
    return ids.map((row) => ({ text: cutAtStop(this.chat.decode(row), stop).text.trim(), ids: row }));
  }

  /** Chat completion: messages (or one user prompt) in, greedy text out. */
  async complete(
    prompt: string | ChatMessage[],
    options: GenerateTextOptions & { system?: string } = {},
  ): Promise<TextCompletion> {
    const t0 = performance.now();
    const messages: ChatMessage[] =
      typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt.slice();
    if (options.system) messages.unshift({ role: "system", content: options.system });
    const ids = this.promptIds(messages);
    if (ids.length === 0) throw new UserError("empty prompt");
    const x = await this.decoder.embed(ids);
    const [out] = await this.generateFromEmbeddings(x, 1, ids.length, options);
    return {
      text: out.text,
      promptTokens: ids.length,
      newTokens: out.ids.length,
      ms: performance.now() - t0,
    };
  }

  private closed = false;

  /** Release the ORT sessions (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.decoder.release();
  }
}

/**
 * Open a model: `source` is a local folder or `hf:org/name[@rev]` (downloaded once into the hub
 * cache). Runs the prepare step if needed (cached beside the graph).
 */
export async function openLocalModel(source: string, options: LocalModelOptions = {}): Promise<LocalModel> {
  const dir = await resolveModelSource(source, {
    revision: options.revision,
    dtype: options.dtype,
    onProgress: options.onProgress,
  });
  const folder = readModelFolder(dir, { dtype: options.dtype });
  const chat = new ChatFormat(folder);
  const files = await prepareDecoder(folder.decoderFile, { hidden: folder.hidden });
  const settings = { threads: options.threads };
  const decoder = new PreparedDecoder(
    await openSession(files.decoder, settings),
    await openSession(files.embed, settings),
    files.manifest.hidden,
    files.decoder,
  );
  return new LocalModel(folder, files, chat, decoder);
}
