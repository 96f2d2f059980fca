/** A finished synthetic run whose task text and model outputs carry HTML-injection payloads. */
import type { Ledger } from "../../src/store/ledger.js";
import { makeConfig, makeRecord } from "../store/synthetic.js";

/** Payloads that must show up as literal text, never as markup. */
export const PAYLOADS = {
  script: "<script>window.__pwned = 1</script>",
  img: `<img src="http://127.0.0.1:9/x.png" onerror="window.__pwned = 2">`,
  quotes: `He said "hi" & she said 'bye'`,
  styleBreak: "</style><style>body{display:none}</style>",
  titleBreak: "</title><script>window.__pwned = 3</script>",
  ansi: "\u001b[31mred\u001b[0m",
};

/** Evaluations in the run made by `makeInjectedRun`. */
export const N_EVALS = 17;

/**
 * Create and finish a run of N_EVALS evaluations (iterations 0..3): the best one (index 9) has the
 * script payload as its instruction; outputs, inputs, answers, the task name and a config value
 * carry the other payloads. Evaluation 12 has an empty instruction, 15 and 16 are extra candidates
 * (`origin: "init"`); 12 distinct instructions in all. The result has a fresh selection step, three
 * baselines (one with payloads in its name and text), two comparisons, a note, and transfer rows.
 * Returns the run id.
 */
export function makeInjectedRun(ledger: Ledger): string {
  const id = ledger.createRun(
    makeConfig({ task: `antonyms ${PAYLOADS.titleBreak}`, vllmModel: PAYLOADS.styleBreak }),
  );
  ledger.setExamples(id, "validation", [
    { input: PAYLOADS.quotes, answers: [PAYLOADS.img] },
    { input: "hot", answers: ["cold"] },
    { input: "up", answers: ["down"] },
    { input: PAYLOADS.styleBreak, answers: ["x"] },
  ]);
  for (let i = 0; i < N_EVALS; i++) {
    const base = makeRecord(i, { score: Math.min(0.75, makeRecord(i).score) });
    const rec =
      i === 9
        ? makeRecord(i, {
            instruction: PAYLOADS.script,
            score: 1,
            scores: [1, 1, 1, 1],
            outputs: [PAYLOADS.img, PAYLOADS.quotes, PAYLOADS.titleBreak, PAYLOADS.ansi],
          })
        : i === 11
          ? { ...base, instruction: INSTRUCTIONS.styled, judge: JUDGE }
          : i === 12
            ? {
                ...base,
                instruction: "",
                empty: true,
                score: 0,
                scores: [0, 0, 0, 0],
                outputs: ["", "", "", ""],
                calls: 0,
                inputTokens: 0,
                outputTokens: 0,
                costUsd: 0,
              }
            : i === 15 || i === 16
              ? {
                  ...base,
                  instruction: i === 15 ? INSTRUCTIONS.init : INSTRUCTIONS.init2,
                  origin: "init" as const,
                  z: null,
                  iteration: 3,
                  reused: false,
                  ...(i === 15
                    ? { score: 0.5, scores: [1, 0, 1, 0], outputs: ["cold", "x", "down", "y"] }
                    : {}),
                }
              : base;
    ledger.appendEvaluation(id, rec);
  }
  ledger.finishRun(id, {
    bestIndex: 9,
    test: {
      score: 0.5,
      low: 0,
      high: 1,
      scores: [1, 0],
      outputs: [PAYLOADS.script, PAYLOADS.quotes],
      inputs: [PAYLOADS.titleBreak, "fast"],
      answers: [[PAYLOADS.script], ["slow"]],
    },
    totals: {
      evaluations: N_EVALS,
      calls: 70,
      cacheHits: 5,
      inputTokens: 12_345,
      outputTokens: 678,
      costUsd: 0.0123,
      judgeCalls: 4,
      judgeCostUsd: 0.002,
      totalCostUsd: 0.0143,
      lostCalls: 1,
      wallMs: 65_000,
      generationMs: 20_000,
      evaluationMs: 40_000,
      boMs: 1_500,
    },
    selection: {
      rule: "fresh",
      size: 3,
      winner: 9,
      candidates: [
        { index: 9, instruction: PAYLOADS.script, validationScore: 1, score: 2 / 3, scores: [1, 1, 0] },
        {
          index: 11,
          instruction: INSTRUCTIONS.styled,
          validationScore: 0.75,
          score: 1 / 3,
          scores: [0, 1, 0],
        },
        { index: 15, instruction: INSTRUCTIONS.init, validationScore: 0.5, score: 1 / 3, scores: [1, 0, 0] },
      ],
    },
    baselines: BASELINES.map((b) => ({ ...b })),
    comparisons: [
      {
        baseline: "no instruction",
        diff: 0.5,
        low: 0,
        high: 1,
        pValue: 1,
        test: "mcnemar",
        verdict: "indistinguishable",
        text: "not distinguishable from no instruction (difference +0.50, 95% CI +0.00 to +1.00)",
      },
      {
        baseline: BASELINES[2].name,
        diff: 0.5,
        low: 0.1,
        high: 0.9,
        pValue: 0.03,
        test: "paired-bootstrap",
        verdict: "better",
        text: `better than ${BASELINES[2].name} by +0.50 (95% CI +0.10 to +0.90)`,
      },
    ],
    notes: [`the validation split has 4 examples, not 20 ${PAYLOADS.quotes}`],
  });
  ledger.setStatus(id, "completed", PAYLOADS.quotes);
  ledger.setState(id, "transfer", TRANSFER);
  return id;
}

/** Instructions of the run besides the best one (evaluations 11, 15 and 16; 12 is empty). */
export const INSTRUCTIONS = {
  styled: `Reply with the opposite word. ${PAYLOADS.styleBreak}`,
  init: `Give the antonym ${PAYLOADS.img}`,
  init2: "Write the opposite of the given word.",
};

/** Judge usage of evaluation 11. */
const JUDGE = { calls: 4, cacheHits: 0, inputTokens: 400, outputTokens: 8, costUsd: 0.002 };

/** The run's baselines: no instruction, the human one, and the user's (payloads in name and text). */
export const BASELINES = [
  {
    name: "no instruction",
    kind: "none" as const,
    instruction: "",
    validation: { score: 0.25, scores: [0, 1, 0, 0] },
    test: { score: 0, scores: [0, 0], low: 0, high: 0 },
  },
  {
    name: "human instruction",
    kind: "human" as const,
    instruction: "Write an antonym of the word.",
    validation: { score: 0.5, scores: [1, 1, 0, 0] },
    test: { score: 0.5, scores: [1, 0], low: 0, high: 1 },
  },
  {
    name: `your baseline ${PAYLOADS.titleBreak}`,
    kind: "user" as const,
    instruction: PAYLOADS.img,
    validation: { score: 0.75, scores: [1, 1, 1, 0] },
    test: null,
  },
];

/** Transfer rows stored with the run (payloads in the target and instructions). */
export const TRANSFER = [
  {
    target: `openai:gpt-4o-mini ${PAYLOADS.img}`,
    name: "winner",
    instruction: PAYLOADS.script,
    score: 0.5,
    low: 0,
    high: 1,
  },
  {
    target: `openai:gpt-4o-mini ${PAYLOADS.img}`,
    name: "no instruction",
    instruction: "",
    score: 0,
    low: 0,
    high: 0,
  },
  {
    target: "anthropic:claude-3-5-haiku-latest",
    name: "winner",
    instruction: PAYLOADS.script,
    score: 1,
    low: 1,
    high: 1,
  },
];
