/**
 * A value that is ready now on a warm path and arrives later otherwise. The authorization of a
 * request whose credential and access are in memory (services/auth.ts) answers at once: no
 * promise, no microtask, and no `then` lookup on the answer, which an async function pays on every
 * return. Only a cache miss waits.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`: at once when `value` is ready, once it settles when it is a promise. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
