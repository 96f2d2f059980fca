/**
 * Provider registry and model-id parsing. A model is named "provider:model"; the provider part
 * picks a factory registered here (openai and anthropic register themselves, local loads lazily).
 */
import { UserError } from "../util/errors.js";
import type { ProviderFactory } from "./options.js";

const factories = new Map<string, ProviderFactory>();

/** A parsed "provider:model" id. */
export interface ModelId {
  provider: string;
  model: string;
}

/** Register (or replace) the factory for `name`. Names are lower-case identifiers. */
export function registerProvider(name: string, factory: ProviderFactory): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new Error(`invalid provider name "${name}"`);
  factories.set(name, factory);
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
