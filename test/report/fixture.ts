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
 * carry the other payloads. Returns the run id.
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
    const rec =
      i === 9
        ? makeRecord(i, {
            instruction: PAYLOADS.script,
            score: 1,
            scores: [1, 1, 1, 1],
            outputs: [PAYLOADS.img, PAYLOADS.quotes, PAYLOADS.titleBreak, PAYLOADS.ansi],
          })
        : makeRecord(i, { score: Math.min(0.75, makeRecord(i).score) });
    ledger.appendEvaluation(id, rec);
  }
  ledger.finishRun(id, {
    bestIndex: 9,
    test: {
      score: 0.5,
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
      wallMs: 65_000,
    },
  });
  ledger.setStatus(id, "completed", PAYLOADS.quotes);
  return id;
}
