import { StateError } from '../domain/errors.js';

/** Only this module can make a {@link Tx}: the proof a function runs inside the queue. */
const issue: unique symbol = Symbol('CommandQueue');

/**
 * The proof that a function runs as a command inside a {@link CommandQueue}, and the only way
 * to reach what deciding needs (`parts`: the log and its model, the planners, the actors).
 * Every function that reads the model, decides and appends takes one, so deciding outside
 * the queue is a type error rather than a broken comment: nothing outside this module can
 * construct a `Tx`, and `parts` refuses to answer when no command is running (a token kept
 * past its command).
 */
export class Tx<P> {
  readonly #queue: CommandQueue<P>;
  readonly #parts: P;

  constructor(key: typeof issue, queue: CommandQueue<P>, parts: P) {
    if (key !== issue) throw new TypeError('Tx: only a CommandQueue issues transactions');
    this.#queue = queue;
    this.#parts = parts;
  }

  /** What the command decides with; only while a command of the queue runs. */
  get parts(): P {
    if (!this.#queue.isRunning) {
      throw new StateError(
        'planflow:invalid-state',
        'CommandQueue: a transaction was used after its command ended; decide inside queue.run()',
      );
    }
    return this.#parts;
  }
}

/**
 * Runs async commands one at a time, in the order they were submitted. The scheduler's
 * bookkeeping (read the model, decide, append) goes through one queue so that no two
 * decisions interleave between their read and their append; handlers run outside it.
 *
 * The queue opens once its parts exist (the log is open and folded); commands submitted
 * before wait for that, and every command fails with the opening's error if it fails.
 */
export class CommandQueue<P> {
  #tail: Promise<unknown>;
  #running = 0;
  readonly #tx: Promise<Tx<P>>;
  /** The transaction once open, so a command does not wait a turn for it. */
  #openTx: Tx<P> | undefined;
  readonly #open: (parts: Promise<P>) => void;

  constructor() {
    let open: (parts: Promise<P>) => void = () => {};
    this.#tx = new Promise<P>((resolve) => {
      open = resolve;
    }).then((parts) => {
      this.#openTx = new Tx(issue, this, parts);
      return this.#openTx;
    });
    this.#open = open;
    this.#tail = this.#tx;
  }

  /** True while one of its commands runs. */
  get isRunning(): boolean {
    return this.#running > 0;
  }

  /** Resolves once the queue is open (rejects if opening failed). */
  get opened(): Promise<void> {
    return this.#tx.then(() => undefined);
  }

  /** Opens the queue with its parts; call once. Commands run only after `parts` resolves. */
  open(parts: Promise<P>): void {
    this.#open(parts);
  }

  /** Queues `command`; the returned promise settles with its result once it has run. */
  run<T>(command: (tx: Tx<P>) => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(() => this.#execute(command));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async #execute<T>(command: (tx: Tx<P>) => Promise<T> | T): Promise<T> {
    const tx = this.#openTx ?? (await this.#tx);
    this.#running++;
    try {
      return await command(tx);
    } finally {
      this.#running--;
    }
  }

  /** Resolves when every command submitted so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(
      () => undefined,
      () => undefined,
    );
  }
}
