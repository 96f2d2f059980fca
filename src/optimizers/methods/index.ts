/**
 * The method registry: the CLI, planning, dispatch, sweeps and reports iterate over it. Adding a
 * method is one module in this folder and one line here.
 */
import { UserError } from "../../util/errors.js";
import { closest } from "../../util/suggest.js";
import { ape } from "./ape.js";
import { instructzero } from "./instructzero.js";
import type { SearchMethod } from "./method.js";
import { mipro } from "./mipro.js";
import { uniform } from "./uniform.js";

export type { SearchMethod } from "./method.js";

/** Every method, in the order help and tables show them. */
export const METHODS: readonly SearchMethod[] = [instructzero, uniform, ape, mipro];

/** Every method name. */
export function methodNames(): string[] {
  return METHODS.map((m) => m.name);
}

/** The methods `instructzero bench` sweeps when `--methods` is not given. */
export function defaultSweepMethods(): string[] {
  return METHODS.filter((m) => m.sweepByDefault !== false).map((m) => m.name);
}

/** The method called `name`; UserError listing the known ones otherwise. */
export function getMethod(name: string): SearchMethod {
  const m = METHODS.find((x) => x.name === name);
  if (m) return m;
  const near = closest(name, methodNames(), 1);
  throw new UserError(
    `unknown method "${name}"${near.length ? ` (did you mean "${near[0]}"?)` : ""}; known: ${methodNames().join(", ")}`,
  );
}
