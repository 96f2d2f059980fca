/**
 * The run configuration: one schema, in sections (task, black box, metric, generator, search, limits).
 * The CLI flags (camelCased), the `--config` JSON file, the library's `optimizeInstruction` options,
 * the ledger and the report all use these fields. Unknown or misspelt fields are errors naming the field.
 *
 * Two layers of the same schema:
 * - {@link RunOptionsSchema}: what a user sets (every field optional or defaulted);
 * - {@link RunConfigSchema}: what a run stores, i.e. the options with defaults filled in plus the
 *   fields derived when the run is created (resolved task file, examples hash, module hashes).
 */
import { z } from "zod";
import { parseObjective } from "./objective.js";
import { parsePreference } from "./prefer.js";

/** Default generator: Qwen2.5-0.5B-Instruct (ONNX export by onnx-community), small enough for a CPU. */
export const DEFAULT_GENERATOR = "hf:onnx-community/Qwen2.5-0.5B-Instruct";
/** Default black box: the same model through the local: provider (no API key). */
export const DEFAULT_TARGET = `local:${DEFAULT_GENERATOR}`;

const int = (min: number) => z.int().min(min);
const text = () => z.string().min(1);

/** Where the examples come from and how they are split. */
export const taskSection = {
  task: text().describe(
    "benchmark task (`instructzero tasks`) or a .jsonl/.csv file of input/output examples; with in-memory `examples`, the run's name",
  ),
  dataDir: text()
    .optional()
    .describe("benchmark data folder (default $INSTRUCTZERO_DATA, else downloaded once)"),
  validationSize: int(1).default(20).describe("validation examples scored per candidate instruction"),
  demos: int(1).default(5).describe("demonstrations shown to the instruction generator"),
  splitRule: z
    .enum(["seeded", "reference"])
    .default("seeded")
    .describe(
      "how the task is split into demos, validation and test: seeded (default: shuffled with the run's seed) | reference (the reference code's rule: Python's random.seed(0) and random.sample, the same for every seed)",
    ),
  hygiene: z
    .enum(["on", "off"])
    .default("on")
    .describe(
      "data hygiene before splitting: on (default: duplicate inputs merged, test inputs kept out of demos and validation) | off (the examples as the data has them, as the reference)",
    ),
  targetDemos: int(0)
    .default(0)
    .describe(
      "few-shot prompts: input/output demonstrations put in the black box's prompt, after the instruction (0: zero-shot); drawn from a demo pool that never overlaps validation, selection or test (README, Few-shot prompts)",
    ),
};

/** The system whose instruction is optimised. */
export const blackBoxSection = {
  target: text()
    .default(DEFAULT_TARGET)
    .describe("black box as provider:model (openai:, anthropic:, local:)"),
  blackBox: text()
    .optional()
    .describe(
      "the black box: a provider:model id (same as target) or an ES module file whose default export is an async ({instruction, input}) => string | {text, usage} function",
    ),
  blackBoxId: text()
    .optional()
    .describe(
      "cache identity of a function black box: answers are cached under it (change it when the pipeline changes); without it a function black box is not cached",
    ),
  baseUrl: z
    .url({
      protocol: /^https?$/,
      error: "must be an http:// or https:// URL (such as http://127.0.0.1:8000/v1)",
    })
    .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(v), {
      message: "must not contain credentials (user:password@): the HTTP client cannot send them",
    })
    .optional()
    .describe("OpenAI-compatible server URL (default $OPENAI_BASE_URL / $ANTHROPIC_BASE_URL)"),
  concurrency: int(1)
    .optional()
    .describe(
      "black-box requests in flight at once (default 8; local: models 40, the batch they decode together: two candidates' validation queries)",
    ),
  timeout: int(1).default(60_000).describe("per-request timeout in milliseconds"),
  maxRetries: int(0).default(6).describe("retries after transient errors (429, 5xx, timeouts)"),
  maxTokens: int(1).default(64).describe("max answer tokens per black-box query"),
  rateLimitRpm: int(1)
    .optional()
    .describe(
      "requests per minute allowed to each model the run calls (target, proposer, judge), shared with every process using the same store (all workers of a --store postgres://... sweep); retries count, cache hits do not",
    ),
  rateLimitTpm: int(1)
    .optional()
    .describe(
      "tokens per minute allowed to each model the run calls, shared like rateLimitRpm; a request counts its prompt (UTF-8 bytes / 4) plus its max answer tokens",
    ),
  cache: z
    .union([z.boolean(), text()])
    .default(true)
    .describe(
      "response cache: true (default file $INSTRUCTZERO_CACHE or ~/.cache/instructzero/responses.sqlite), a file path, or false",
    ),
  batchApi: z
    .boolean()
    .default(false)
    .describe(
      "send the target's uncached requests through the provider's batch API (OpenAI Batch API, Anthropic Message Batches; openai: and anthropic: targets): one batch per step, lower prices, answers within up to 24 h; resumable",
    ),
  batchPriceFactor: z
    .number()
    .min(0)
    .default(0.5)
    .describe("batch prices as a fraction of the price table (costs, --max-cost worst cases, --dry-run)"),
  batchPollMs: int(1)
    .default(30_000)
    .describe("how often a running provider batch is polled, in milliseconds"),
  batchMaxRetries: int(0)
    .default(2)
    .describe("follow-up batches for requests that failed or expired in a provider batch"),
};

/** How an answer is scored. */
export const metricSection = {
  metric: text()
    .optional()
    .describe(
      "em | f1 | es | contains | judge:provider:model (LLM judge, with rubric) | an ES module file whose default export is ({prediction, example}) => number | {score, feedback}; default: the task's metric (em for files)",
    ),
  rubric: text()
    .optional()
    .describe("judge metric: the rubric text (CLI and config file: a file holding it)"),
};

/** The open-source model that writes candidate instructions from soft prompts. */
export const generatorSection = {
  generator: text()
    .default(DEFAULT_GENERATOR)
    .describe("instruction generator: model folder or hf:org/name[@revision] (not used by ape)"),
  generatorDtype: text()
    .default("auto")
    .describe(
      "ONNX variant of the generator and of a local: target (fp32, fp16, q8, q4, or auto: q8 when the model has it, else fp32). auto is the default: q8 ran the zero-config command 1.6x faster than fp32 (npm run bench:zero-config), and its local batches are formed deterministically, so the same seed gives the same answers",
    ),
  projection: z
    .enum(["uniform", "normal"])
    .default("uniform")
    .describe("random projection of z: uniform | normal"),
  nTokens: int(1).default(5).describe("soft-prompt tokens prepended to the generator's input"),
  intrinsicDim: int(1).default(10).describe("dimension of the soft prompt z searched by BO"),
  instructionTokens: int(1).default(128).describe("max tokens the generator writes per instruction"),
  rawInstructions: z
    .boolean()
    .default(false)
    .describe(
      "use the generator's text as it is, without clean-up (default false: instructions are cleaned; the reference does no clean-up)",
    ),
  vllmUrl: z
    .url({
      protocol: /^https?$/,
      error: "must be an http:// or https:// URL (such as http://127.0.0.1:8000/v1)",
    })
    .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(v), {
      message: "must not contain credentials (user:password@): the HTTP client cannot send them",
    })
    .optional()
    .describe("decode the generator on this vLLM server (started with --enable-prompt-embeds)"),
  vllmModel: text()
    .optional()
    .describe("model name served by vLLM (default: the generator's name); key: $VLLM_API_KEY"),
};

/** The search: method, budget and schedule. */
export const searchSection = {
  method: text()
    .default("instructzero")
    .describe("search method (see `instructzero optimize --help`): instructzero | uniform | ape | mipro"),
  budget: int(1).default(150).describe("evaluations (candidate instructions scored)"),
  seed: z
    .int()
    .default(0)
    .describe("seed: same seed and inputs give the same instructions, scores and choices"),
  initialPoints: int(1).default(25).describe("size of the initial design"),
  batchSize: int(1).default(25).describe("candidates proposed per iteration"),
  batchMode: z
    .enum(["reference", "distinct"])
    .default("reference")
    .describe("reference (paper: duplicates allowed) | distinct (keep candidates whose instruction is new)"),
  pipelined: z
    .boolean()
    .optional()
    .describe(
      "propose each BO batch in two parts: its first generation chunk (10 of 25) before the previous batch's last chunk is scored, those soft prompts as pending points, the rest once that batch is scored, the first chunk pending; the generator works while the black box scores (faster; not in the paper). Default: on, except for a local: black box (it shares the cores with the generator) and with --preset paper; --no-pipelined turns it off (README Benchmarks)",
    ),
  proposer: text().optional().describe("ape: model that proposes instructions (default: the target)"),
  racing: z
    .boolean()
    .default(false)
    .describe(
      "racing: score each candidate in blocks of validation examples (fixed order) and stop it once it cannot beat the incumbent even with every remaining example right, or once a one-sided paired test on the examples scored so far says it is worse (level racingAlpha): the exact sign test for 0/1 scores, the sign-flip permutation test on the mean difference for graded scores; the incumbent is the best fully scored candidate (selection validation) or the selectionTopK-th best (fresh selection); its record keeps the examples scored (not in the paper)",
    ),
  racingBlock: int(1).default(5).describe("racing: validation examples scored per block"),
  racingAlpha: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.01)
    .describe(
      "racing: level of the one-sided paired test after each block (exact sign test for 0/1 scores, sign-flip permutation test for graded ones); small, so that a candidate as good as the incumbent is rarely dropped",
    ),
  stopAtPerfect: z
    .boolean()
    .default(false)
    .describe("end the search once a candidate scores 1 on every validation example (not in the paper)"),
  preset: z
    .enum(["paper", "efficient"])
    .optional()
    .describe(
      "defaults for several options at once; options given explicitly (flags, config file, library) win over them. paper: the reference implementation's protocol (splitRule reference, hygiene off, rawInstructions true, selection validation with selectionTies latest, maxTokens 256, postSearch full: the chosen instruction on the whole test split, pipelined false). efficient: racing true, batchMode distinct, stopAtPerfect true, postSearch adaptive (racingBlock and racingAlpha keep their defaults: smaller blocks or a larger alpha showed no consistent gain); on the simulated tasks of `npm run bench:efficiency` it paid 511-2,303 calls in all where the paper protocol paid 1,700-1,790, and chose a better instruction on all three (median true accuracy 0.825 / 0.950 / 0.966 against 0.808 / 0.879 / 0.959; README, Benchmarks)",
    ),
  demoSearch: z
    .boolean()
    .default(false)
    .describe(
      "with targetDemos K: search (soft prompt, demonstration set) pairs jointly, the demonstration set of each candidate chosen from the demo pool (instructzero and uniform; README, Few-shot prompts)",
    ),
};

/**
 * What each `preset` sets: defaults applied before the schema's own, so that any option given
 * explicitly (flag, config file or library option) wins over its preset value.
 */
export const PRESETS = {
  paper: {
    splitRule: "reference",
    hygiene: "off",
    rawInstructions: true,
    selection: "validation",
    selectionTies: "latest",
    maxTokens: 256,
    postSearch: "full",
    pipelined: false,
  },
  efficient: { racing: true, batchMode: "distinct", stopAtPerfect: true, postSearch: "adaptive" },
} as const satisfies Record<"paper" | "efficient", Partial<Record<keyof RunOptionsShape, unknown>>>;

type RunOptionsShape = typeof taskSection &
  typeof blackBoxSection &
  typeof generatorSection &
  typeof searchSection &
  typeof resultsSection;

/** How the winner is chosen, and what it is compared with. */
export const resultsSection = {
  selection: z
    .enum(["fresh", "validation"])
    .default("fresh")
    .describe(
      "how the winner is chosen: fresh (default: the top candidates are scored again on a selection split of examples the search never saw; the best there wins) | validation (the best validation score: the paper's rule)",
    ),
  selectionTies: z
    .enum(["earliest", "latest"])
    .default("earliest")
    .describe(
      "selection validation: which of the candidates tied for the best validation score wins: earliest (default: the first found) | latest (the reference's `>=`: the last one)",
    ),
  selectionTopK: int(1)
    .default(5)
    .describe("distinct candidates (best by validation) scored on the selection split"),
  postSearch: z
    .enum(["full", "adaptive"])
    .default("adaptive")
    .describe(
      "what the phases after the search score: adaptive (default: a race among the top selectionTopK on the selection split, dropping candidates by the sign test and keeping at most 3 after the first round and 2 from half the split on; baselines on a 5-example validation pilot; then the winner and the baselines on the test split in looks at 10, 20, 40, 70, 100 examples, each comparison ending once its 95% repeated interval decides it or it is unlikely to be decided; about a third of the calls of full at nearly the same true accuracy, `npm run bench:selection`) | full (the top selectionTopK on the whole selection split, every baseline on validation and the whole test split, the winner on the whole test split; --preset paper)",
    ),
  selectionSize: int(1)
    .default(50)
    .describe(
      "examples of the selection split, at most (what the task leaves after demos, validation and test)",
    ),
  baselines: z
    .array(text())
    .default([])
    .describe(
      "your own instructions to compare the winner with (CLI: --baseline TEXT or --baseline-file FILE, repeatable); no instruction and the task's human-written instruction are always compared",
    ),
  initInstructions: z
    .array(text())
    .default([])
    .describe(
      "extra candidate instructions (e.g. human or APE ones), scored after the search; they compete in selection (CLI: --init-instructions FILE, one per line)",
    ),
  prefer: z
    .preprocess(
      (v) => (typeof v === "string" ? (parsePreference(v) ?? v) : v),
      z.strictObject({ cheaper: z.number().min(0) }, { error: "must be cheaper:TOL or { cheaper: TOL }" }),
    )
    .optional()
    .describe(
      "cost-aware choice (CLI: --prefer cheaper:TOL): among the candidates whose selection score is within TOL of the best, or not distinguishable from it by the verdict's paired test, the one with the lowest dollars per 1,000 queries wins; default: the best score",
    ),
  objective: text()
    .refine(
      (v) => {
        try {
          parseObjective(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be of the form "score - L * usd_per_1k" with L a non-negative number' },
    )
    .optional()
    .describe(
      "scalarised search objective \"score - L * usd_per_1k\": BO observes each candidate's validation score minus L times its dollars per 1,000 queries (its recorded score stays the metric's); default: the score",
    ),
};

/** Spending limits and the final test. */
export const limitsSection = {
  maxCalls: int(1)
    .optional()
    .describe(
      "paid requests the whole run may make (search, selection, baselines, test, judge); stops cleanly",
    ),
  maxCost: z
    .number()
    .min(0)
    .optional()
    .describe("dollars the whole run may spend (every request admitted at its worst case); stops cleanly"),
  test: z.boolean().default(true).describe("score the chosen instruction on the test split"),
};

/** Every section, by name (for documentation). */
export const CONFIG_SECTIONS = {
  task: taskSection,
  "black box": blackBoxSection,
  metric: metricSection,
  generator: generatorSection,
  search: searchSection,
  results: resultsSection,
  limits: limitsSection,
} as const;

/** What a user sets: the CLI flags, the `--config` file and the library options (minus functions). */
export const RunOptionsSchema = z.strictObject({
  ...taskSection,
  ...blackBoxSection,
  ...metricSection,
  ...generatorSection,
  ...searchSection,
  ...resultsSection,
  ...limitsSection,
});

/** A file's path and the sha256 of its content when the run was created (resume checks it). */
export const FileRefSchema = z.strictObject({ path: text(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/** Fields derived when a run is created (never set by the user). */
export const derivedSection = {
  taskFile: text().optional().describe("absolute path of the task file"),
  examplesHash: z
    .string()
    .optional()
    .describe("sha256 of in-memory examples (stored in the ledger: resume needs no data file)"),
  blackBoxModule: FileRefSchema.optional().describe("the black-box module file and its hash"),
  metricModule: FileRefSchema.optional().describe("the metric module file and its hash"),
  migratedFrom: text().optional().describe("migration (`instructzero migrate`): the run migrated from"),
  warmStart: z
    .array(z.strictObject({ z: z.array(z.number()), instruction: z.string() }))
    .optional()
    .describe(
      "migration: the old run's top soft prompts and their instructions, scored first (the initial design) so that their scores on the new model seed the surrogate",
    ),
  warmRacing: z
    .boolean()
    .optional()
    .describe(
      "migration: the warm start is raced (each candidate scored block by block and stopped once it is clearly worse than the incumbent, as `racing` does), whatever `racing` says for the search",
    ),
  oldCandidates: z
    .array(
      z.strictObject({
        instruction: z.string(),
        index: z.number().int().nonnegative(),
        score: z.number(),
      }),
    )
    .optional()
    .describe(
      "migration: the old run's top candidates (its winner, then the rest of its selection's top k), with their evaluation index and selection (else validation) score in the old run; the new run scores each on its validation, selection and test splits",
    ),
};

/** A run's stored configuration: the options with defaults filled in, plus derived fields. */
export const RunConfigSchema = RunOptionsSchema.extend(derivedSection);

/** Options as a user writes them (defaulted fields optional). */
export type RunOptions = z.input<typeof RunOptionsSchema>;
/** A run's stored configuration (every default filled in). */
export type RunConfig = z.output<typeof RunConfigSchema>;
/** A file reference with its content hash. */
export type FileRef = z.output<typeof FileRefSchema>;
