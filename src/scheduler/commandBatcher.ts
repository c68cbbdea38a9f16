import type { CommandQueue, Tx } from './CommandQueue.js';

/** One request waiting in a batch, with the promise it answers. */
export type Pending<I, R> = Readonly<{
  input: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}>;

/**
 * Turns per-request commands into batched ones. The first request reserves its place in the
 * command queue at once, so it keeps its order against commands queued after it (a trigger
 * whose timer fired before a `pause()` call still comes first); every request made until
 * that command starts (a burst of timers in one wake-up) joins it, and `process` answers
 * them all. If `process` throws, every request of the batch not yet answered rejects.
 */
export function commandBatcher<P, I, R>(
  queue: CommandQueue<P>,
  process: (tx: Tx<P>, batch: readonly Pending<I, R>[]) => Promise<void>,
): (input: I) => Promise<R> {
  let open: Pending<I, R>[] | undefined;
  return (input) =>
    new Promise<R>((resolve, reject) => {
      const request = { input, resolve, reject };
      if (open !== undefined) {
        open.push(request);
        return;
      }
      const batch: Pending<I, R>[] = [request];
      open = batch;
      queue
        .run((tx) => {
          open = undefined;
          return process(tx, batch);
        })
        .catch((error: unknown) => {
          if (open === batch) open = undefined;
          for (const r of batch) r.reject(error);
        });
    });
}
