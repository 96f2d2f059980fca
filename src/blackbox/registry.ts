/**
 * Provider registry and model-id parsing. A model is named "provider:model"; the provider part
 * picks a factory registered here (openai and anthropic register themselves, local loads lazily).
 */
import { UserError } from "../util/errors.js";
import type { ProviderFactory } from "./options.js";

const factories = new Map<string, ProviderFactory>();
const traits = new Map<string, ProviderTraits>();

/** What a provider module declares beside its factory (no instance, no key needed). */
export interface ProviderTraits {
  /**
   * Providers with a Batch API (whose instances carry `Provider.batch`) declare it by this: the shell
   * command that cancels batch `batchId` at the provider (for the interrupt message), naming the key by
   * its environment variable, never including it.
   */
  cancelBatchCommand?(batchId: string, baseURL?: string): string;
  /** Requests let in at once when the options give no concurrency [the black box's default]. */
  defaultConcurrency?: number;
}

/** A parsed "provider:model" id. */
export interface ModelId {
  provider: string;
  model: string;
}

/** Register (or replace) the factory for `name`. Names are lower-case identifiers. */
export function registerProvider(name: string, factory: ProviderFactory, extra: ProviderTraits = {}): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new Error(`invalid provider name "${name}"`);
  factories.set(name, factory);
  traits.set(name, extra);
}

/** What provider `name` declared beside its factory ({} when unknown). */
export function providerTraits(name: string): ProviderTraits {
  return traits.get(name) ?? {};
}

/** Names of the registered providers with a Batch API, in the order they registered. */
export function batchProviders(): string[] {
  return [...factories.keys()].filter((n) => providerTraits(n).cancelBatchCommand !== undefined);
}

/** Names of the registered providers, sorted. */
export function knownProviders(): string[] {
  return [...factories.keys()].sort();
}

/** The factory for `name`, or a UserError listing the known providers. */
export function providerFactory(name: string): ProviderFactory {
  const f = factories.get(name);
  if (!f) {
    throw new UserError(`unknown provider "${name}"; known providers: ${knownProviders().join(", ")}`);
  }
  return f;
}

/**
 * Split "provider:model" at the first ":" (the model may contain more, e.g. a Windows path).
 * Pure: does not check the provider is registered. Missing ":" or an empty part is a UserError.
 */
export function parseModelId(id: string): ModelId {
  const i = id.indexOf(":");
  const example = "e.g. openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest, local:./models/qwen";
  if (i < 0) {
    throw new UserError(
      `model "${id}" must be named provider:model (${example}); known providers: ${knownProviders().join(", ")}`,
    );
  }
  const provider = id.slice(0, i).trim().toLowerCase();
  const model = id.slice(i + 1).trim();
  if (provider === "" || model === "") {
    throw new UserError(`model "${id}" must be named provider:model with both parts non-empty (${example})`);
  }
  return { provider, model };
}
