/// <reference types="node" preserve="true" />
/**
 * "instructzero/blackbox": the black boxes (provider clients, function black boxes, batch APIs), their
 * response cache, prices, provider registry and errors.
 */
export * from "./batch/index.js";
export { defaultCachePath } from "./cache.js";
export { createBlackBox, createFunctionBlackBox, type FunctionBlackBoxOptions } from "./client.js";
export {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  BlackBoxError,
  ConnectionError,
  classify,
  ERROR_TABLE,
  type ErrorKind,
  type ErrorRule,
  HaltedError,
  isTransient,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "./errors.js";
export type { BlackBoxEvent, BlackBoxOptions, ProviderFactory, ProviderFactoryOptions } from "./options.js";
export {
  type CostEstimate,
  DEFAULT_PRICES,
  estimateCost,
  type ModelPrice,
  type PriceTable,
} from "./pricing.js";
export {
  type BlackBoxAnswer,
  type BlackBoxFunction,
  type BlackBoxQuery,
  TransientError,
} from "./providers/function.js";
export { knownProviders, type ModelId, parseModelId, registerProvider } from "./registry.js";
export type * from "./types.js";
