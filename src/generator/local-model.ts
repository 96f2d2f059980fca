/**
 * A local model folder opened for generation: resolve the source (local path or hf: id), check the
 * folder, prepare the graphs once (cached), open the ORT sessions and the chat format. Offers greedy
 * generation from embeddings (soft prompts) and a plain chat completion (the local black box).
 */
import path from "node:path";
import { UserError } from "../util/errors.js";
import { type BatchGreedyOptions, greedyBatch, type RowEnd } from "./batch-decode.js";
import { ChatFormat, type ChatMessage } from "./chat.js";
import { openSession, PreparedDecoder } from "./decoder.js";
import type {
  GeneratedText,
  GenerateTextOptions,
  LocalModelHandle,
  LocalModelOptions,
  TextCompletion,
} from "./local-model-api.js";
import { type ModelFolder, readModelFolder } from "./model-folder.js";
import { type PreparedFiles, prepareDecoder } from "./prepare/prepare.js";
import { resolveWithDtype } from "./resolve-dtype.js";

export type { GeneratedText, GenerateTextOptions, LocalModelHandle, LocalModelOptions, TextCompletion };
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

/** One request of {@link LocalModel.completeBatch}. */
export interface BatchCompletionRequest extends GenerateTextOptions {
  prompt: string | ChatMessage[];
  system?: string;
  /** Checked before the request's first pass and after each of its tokens: true drops it. */
  cancelled?: () => boolean;
}

/** Result of one request of {@link LocalModel.completeBatch}. */
export interface BatchCompletion extends TextCompletion {
  /** Why generation ended ("cancelled": dropped, text incomplete). */
  end: RowEnd;
}

/** An opened local model. */
export class LocalModel implements LocalModelHandle {
  constructor(
    readonly folder: ModelFolder,
    readonly files: PreparedFiles,
    readonly chat: ChatFormat,
    readonly decoder: PreparedDecoder,
    /** The ONNX variant opened (after "auto" was resolved). */
    readonly dtype = "fp32",
    /** Release the decoder (shared by the models opened on the same graph: see openLocalModel). */
    private readonly releaseDecoder: () => Promise<void> = () => decoder.release(),
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

  /** Prompt token ids of a chat request (one user prompt or messages, optional system message). */
  chatIds(prompt: string | ChatMessage[], system?: string): number[] {
    const messages: ChatMessage[] =
      typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt.slice();
    if (system) messages.unshift({ role: "system", content: system });
    const ids = this.promptIds(messages);
    if (ids.length === 0) throw new UserError("empty prompt");
    return ids;
  }

  /** Chat completion: messages (or one user prompt) in, greedy text out. */
  async complete(
    prompt: string | ChatMessage[],
    options: GenerateTextOptions & { system?: string } = {},
  ): Promise<TextCompletion> {
    const t0 = performance.now();
    const ids = this.chatIds(prompt, options.system);
    const x = await this.decoder.embed(ids);
    const [out] = await this.generateFromEmbeddings(x, 1, ids.length, options);
    return {
      text: out.text,
      promptTokens: ids.length,
      newTokens: out.ids.length,
      ms: performance.now() - t0,
    };
  }

  /**
   * Several chat completions decoded together (./batch-decode.ts): prompts of any lengths, shared
   * prefixes computed once (options.sharePrefix, default on; options.prefixCache keeps them across
   * calls), rows leaving the batch as they end. `onDone(i, completion)` fires as soon as request i
   * ends; the promise resolves when all have. fp32 gives the tokens of {@link complete} (see
   * batch-decode.ts for the tolerance of quantised models).
   */
  async completeBatch(
    requests: readonly BatchCompletionRequest[],
    options: Omit<BatchGreedyOptions, "onRowDone"> & {
      onDone?: (i: number, c: BatchCompletion) => void;
    } = {},
  ): Promise<BatchCompletion[]> {
    const t0 = performance.now();
    const ids = requests.map((r) => this.chatIds(r.prompt, r.system));
    const out: BatchCompletion[] = new Array(requests.length);
    const noEos: ReadonlySet<number> = new Set();
    await greedyBatch(
      this.decoder,
      requests.map((r, i) => {
        const stop = r.stop ?? [];
        return {
          ids: ids[i],
          maxNewTokens: r.maxNewTokens ?? 128,
          eosIds: r.ignoreEos ? noEos : this.chat.eosIds,
          shouldStop: stop.length ? (row) => cutAtStop(this.chat.decode(row), stop).stopped : undefined,
          cancelled: r.cancelled,
        };
      }),
      {
        ...options,
        onRowDone: (i, res) => {
          const stop = requests[i].stop ?? [];
          out[i] = {
            text: cutAtStop(this.chat.decode(res.ids), stop).text.trim(),
            promptTokens: ids[i].length,
            newTokens: res.ids.length,
            ms: performance.now() - t0,
            end: res.end,
          };
          options.onDone?.(i, out[i]);
        },
      },
    );
    return out;
  }

  private closed = false;

  /** Release the ORT sessions (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.releaseDecoder();
  }
}

/**
 * Open a model: `source` is a local folder or `hf:org/name[@rev]` (downloaded once into the hub
 * cache). Runs the prepare step if needed (cached beside the graph). Models opened on the same graph
 * file share its ORT sessions (see {@link sharedDecoder}); each is closed on its own.
 */
export async function openLocalModel(source: string, options: LocalModelOptions = {}): Promise<LocalModel> {
  const { dir, dtype } = await resolveWithDtype(source, options);
  const folder = readModelFolder(dir, { dtype });
  const chat = new ChatFormat(folder);
  const shared = await sharedDecoder(folder, options.threads);
  return new LocalModel(folder, shared.files, chat, shared.decoder, dtype ?? "fp32", shared.release);
}

/** A decoder opened once per graph file and thread setting, with its users (see {@link sharedDecoder}). */
interface SharedDecoder {
  ready: Promise<{ files: PreparedFiles; decoder: PreparedDecoder }>;
  users: number;
}
const openDecoders = new Map<string, SharedDecoder>();

/** Graph files with a decoder open in this process and their users (tests, diagnostics). */
export function openDecoderUsers(): Map<string, number> {
  return new Map([...openDecoders].map(([k, e]) => [k.split("\u0000")[0], e.users]));
}

/**
 * The ORT sessions of a model folder's graph, opened once per process for every model opened on the
 * same graph file (folder and variant) and thread setting: the generator and a local black box on the
 * same model (the default command) share one copy of the weights and load it once. ORT runs concurrent
 * requests on one session (the same outputs as one at a time). `release` closes the sessions with their
 * last user.
 */
async function sharedDecoder(
  folder: ModelFolder,
  threads: number | undefined,
): Promise<{ files: PreparedFiles; decoder: PreparedDecoder; release: () => Promise<void> }> {
  const key = `${path.resolve(folder.decoderFile)}\u0000${threads ?? ""}`;
  let entry = openDecoders.get(key);
  if (!entry) {
    const ready = (async () => {
      const files = await prepareDecoder(folder.decoderFile, { hidden: folder.hidden });
      const settings = { threads };
      const decoder = new PreparedDecoder(
        await openSession(files.decoder, settings),
        await openSession(files.embed, settings),
        files.manifest.hidden,
        files.decoder,
      );
      return { files, decoder };
    })();
    const made: SharedDecoder = { ready, users: 0 };
    entry = made;
    openDecoders.set(key, made);
    ready.catch(() => {
      if (openDecoders.get(key) === made) openDecoders.delete(key);
    });
  }
  const e = entry;
  e.users++;
  let got: { files: PreparedFiles; decoder: PreparedDecoder };
  try {
    got = await e.ready;
  } catch (err) {
    e.users--;
    throw err;
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    if (--e.users > 0) return;
    if (openDecoders.get(key) === e) openDecoders.delete(key);
    await got.decoder.release();
  };
  return { ...got, release };
}
