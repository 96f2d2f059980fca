/// <reference types="node" preserve="true" />
/** "instructzero/config": the run options' schema, parsing, the option docs and the v1 config migration. */
export { type OptionField, optionFields, optionsMarkdown } from "./fields.js";
export { migrateConfigV1 } from "./migrate.js";
export { parseRunConfig, parseRunOptions } from "./parse.js";
export {
  CONFIG_SECTIONS,
  DEFAULT_GENERATOR,
  DEFAULT_TARGET,
  type FileRef,
  type RunConfig,
  RunConfigSchema,
  type RunOptions,
  RunOptionsSchema,
} from "./schema.js";
