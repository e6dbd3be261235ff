/**
 * Answers finished in one turn of the event loop are written together, at the end of that turn.
 *
 * Why: writing a response to a TCP connection wakes the client that waits for it. When the client
 * is a process on the same machine (a reverse proxy or sidecar in front of Gatehouse, a load
 * generator), and its CPU is idle, that wake-up is paid inside the server's write, as an
 * inter-processor interrupt; on a virtual machine it goes through the hypervisor. Measured with
 * `perf` on the benchmark machine: 12 % of the server's CPU for `/users/me` was this wake-up
 * (`sock_def_readable` → `pvm_irq_enable`), the largest single entry of its profile.
 * Written one after another at the end of the turn, the first response wakes the client and the
 * others reach a client that is already running. `/users/me` then cost a third less CPU per request.
 *
 * What it costs: a response waits for the other requests handled in the same turn (the ones whose
 * bytes arrived together), never for new input: `setImmediate` runs right after the turn's I/O
 * callbacks, and Node does not wait for more I/O while an immediate is pending. At most
 * `MAX_BATCH` responses wait together, so a burst cannot hold the first of them for long.
 */

/** The most responses held for one write (a turn of the event loop handles at most 1,024 events). */
export const MAX_BATCH = 32;

export interface WriteBatcher {
  /** Runs `write` at the end of this turn, with the other writes of the turn, in order. */
  add(write: () => void): void;
  /** Writes held now (tests). */
  readonly pending: number;
}

/**
 * A batcher. `onError` hears about a write that threw (the others of the batch still run): Fastify
 * does not throw there, but one failed write must not leave the rest of the batch unanswered.
 */
export function writeBatcher(onError: (error: unknown) => void, max = MAX_BATCH): WriteBatcher {
  let held: Array<() => void> = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const writes = held;
    held = [];
    for (const write of writes) {
      try {
        write();
      } catch (error) {
        onError(error);
      }
    }
  };
  return {
    add(write) {
      held.push(write);
      if (held.length >= max) {
        flush();
        return;
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    get pending() {
      return held.length;
    },
  };
}
