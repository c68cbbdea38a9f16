import pg from 'pg';

type Query = (this: pg.Client, ...args: unknown[]) => unknown;

/** One statement held at the driver until the test lets it go. */
export type HeldQuery = Readonly<{
  /** Resolves when the statement was about to be sent (it has not reached the server). */
  reached: Promise<void>;
  /** Sends it. */
  release: () => void;
}>;

const proto = pg.Client.prototype as unknown as { query: Query };
const original = proto.query;
const holds: { match: (text: string) => boolean; reached: () => void; released: Promise<void> }[] =
  [];

/**
 * Holds the next statement whose SQL `match`es, sent by any connection of this process (the
 * stores under test included: they load the same driver), so a test can stop a store between
 * two of its statements and run another one in between — no timing involved. Undone by
 * {@link releaseAllHolds}.
 */
export function holdQuery(match: (text: string) => boolean): HeldQuery {
  let reached!: () => void;
  let release!: () => void;
  const hold = {
    match,
    reached: () => reached(),
    released: new Promise<void>((resolve) => {
      release = resolve;
    }),
  };
  const reachedAt = new Promise<void>((resolve) => {
    reached = resolve;
  });
  holds.push(hold);
  proto.query = function held(this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: unknown } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    const at = typeof text === 'string' ? holds.findIndex((h) => h.match(text)) : -1;
    if (at < 0) return original.apply(this, args);
    const [taken] = holds.splice(at, 1);
    taken!.reached();
    const callback = args.find((arg) => typeof arg === 'function');
    const sent = taken!.released.then(() => original.apply(this, args));
    // The pool's own calls pass a callback and expect no promise back.
    return callback === undefined ? sent : undefined;
  };
  return { reached: reachedAt, release };
}

/** Lets every held statement go and restores the driver (call after each test). */
export function releaseAllHolds(): void {
  holds.splice(0);
  proto.query = original;
}
