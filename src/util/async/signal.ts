/** Signals that many concurrent operations listen on. */
import { setMaxListeners } from "node:events";

/**
 * Let any number of listeners wait on `signal` (each request under way of a black box, each queued
 * request of a batch, each sleep of a retry listens on its run's signal): without this, Node prints a
 * "possible EventTarget memory leak" warning at more than 10, which any concurrency above 10 reaches.
 * Returns the same signal.
 */
export function manyListeners<T extends AbortSignal>(signal: T): T {
  setMaxListeners(0, signal);
  return signal;
}

/** An AbortController whose signal takes any number of listeners (see {@link manyListeners}). */
export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  manyListeners(controller.signal);
  return controller;
}
