/// <reference types="node" preserve="true" />
/** "instructzero/report": a run's export (JSON), its HTML and text reports, and the sweep's HTML report. */
export {
  type ExampleResult,
  exportRun,
  type InstructionSummary,
  type OldCandidateExport,
  RUN_EXPORT_FORMAT,
  RUN_EXPORT_VERSION,
  type RunExport,
} from "./export.js";
export { renderHtmlReport } from "./html.js";
export { renderSweepHtml } from "./sweep-html.js";
export { formatRunDetails, runsTable } from "./text.js";
