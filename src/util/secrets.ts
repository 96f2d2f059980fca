/**
 * Guard that keeps secrets out of the ledger: a run configuration is stored verbatim and shown in
 * reports, so it must never carry an API key.
 */
import { extname } from "node:path";
import { UserError } from "./errors.js";

/** Key names that hold secrets (`apiKey`, `api_key`, `openaiApiKey`, `secret`, `hfToken`, `password` ...). */
const SECRET_KEY = /api[_-]?key|secret|passw(or)?d|credential|authorization|(^|[^a-z])token$|[a-z]Token$/i;
/** Key names that only point at a secret (the name of an environment variable). */
const POINTER_KEY = /(env|envvar|env_var|variable|file|path)$/i;
/** The "sk-" key patterns (OpenAI/Anthropic keys). */
const SK_VALUES: readonly [RegExp, string][] = [
  [/^sk-/, 'starts with "sk-" like an OpenAI/Anthropic API key'],
  [/(^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/, 'contains an "sk-..." API key'],
];
/** Values that look like credentials, with a human name for the message. */
const SECRET_VALUES: readonly [RegExp, string][] = [
  ...SK_VALUES,
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{16,}/i, 'contains a "Bearer" credential'],
  [/^hf_[A-Za-z0-9]{20,}$/, 'looks like a Hugging Face token ("hf_...")'],
  [/^(ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}$/, "looks like a GitHub token"],
  [/^AIza[0-9A-Za-z_-]{30,}$/, "looks like a Google API key"],
  [/^Bearer\s+\S/i, 'is a "Bearer" credential'],
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "is a URL with an embedded password"],
];

/** The other patterns, still applied to task file paths. */
const NON_SK_VALUES = SECRET_VALUES.filter((p) => !SK_VALUES.includes(p));
/**
 * Top-level fields that hold the task file's path. A path with a task-file extension
 * (`task-sk-abcdefghijklmnopqrst.jsonl`) is a file name, not a key (a key never ends in ".jsonl" or
 * ".csv"), so the "sk-" patterns do not apply to it; every other pattern does.
 */
const TASK_PATH_FIELDS: ReadonlySet<string> = new Set(["task", "taskFile"]);
/** The extensions of task files (src/tasks/user-file.ts TASK_FILE_EXTENSIONS; util sits below tasks/). */
const TASK_FILE_EXTENSIONS: readonly string[] = [".jsonl", ".csv"];

function isTaskFilePath(name: string): boolean {
  return TASK_FILE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/**
 * Throw a UserError if `value` (a run configuration) holds something that looks like a secret: a
 * string value starting with "sk-" (or another known key format), or a key named like
 * *apikey* / *token* / *secret* / *password*. Count-like keys (`nTokens`, `maxTokens`) and keys naming
 * where a secret lives (`apiKeyEnv`, `tokenFile`) are allowed, and so is "sk-" inside a .jsonl/.csv
 * path in the top-level `task` and `taskFile` fields. The message names the field, never the value.
 */
export function assertNoSecrets(value: unknown, where = "config"): void {
  check(value, where, true);
}

function check(value: unknown, where: string, top: boolean, patterns = SECRET_VALUES): void {
  if (typeof value === "string") {
    for (const [re, what] of patterns) {
      if (re.test(value.trim())) {
        throw new UserError(
          `${where} ${what}; refusing to store it in the run ledger. Pass keys through environment variables, not options.`,
        );
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      check(v, `${where}[${i}]`, false);
    });
    return;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const path = `${where}.${k}`;
      if (SECRET_KEY.test(k) && !POINTER_KEY.test(k) && v !== undefined && v !== null && v !== "") {
        throw new UserError(
          `${path}: a field named like a secret (api key / token / secret / password) cannot be stored in the run ledger. Pass keys through environment variables, not options.`,
        );
      }
      const taskPath = top && TASK_PATH_FIELDS.has(k) && typeof v === "string" && isTaskFilePath(v.trim());
      check(v, path, false, taskPath ? NON_SK_VALUES : SECRET_VALUES);
    }
  }
}
