/**
 * Where runs are kept: the one place the library, the CLI, the worker and the sweep open a run store
 * (a ledger file, a postgres:// URL, the default location, or memory).
 */
import { type Ledger, openLedger } from "../store/ledger.js";

/** A store location: a file path or a postgres:// URL; undefined: the default; false: in memory. */
export type StoreLocation = string | false | undefined;

/** How to open a store. */
export interface OpenRunStoreOptions {
  /** Create the store when missing [true]; false: a missing store is an error. */
  create?: boolean;
  /** The caller only reads: a store this process cannot write is read from a snapshot. */
  readonly?: boolean;
}

/** Open the run store at `location`. */
export function openRunStore(location: StoreLocation, options: OpenRunStoreOptions = {}): Ledger {
  return openLedger(location === false ? ":memory:" : location, options);
}
