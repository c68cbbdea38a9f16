/**
 * Actor ids for occurrence actors, reused once an actor is done. XState memoizes, per state
 * node of the parent, the transitions an event type selects, and an actor's done event is
 * `xstate.done.actor.<its id>`: with a fresh id per occurrence the supervisor's memo gained an
 * entry for every occurrence ever run (about 350 bytes each: a 14-day soak of 100 tasks every
 * 10 minutes grew the heap by 4 MB a day). Reused ids bound it by the actors alive at once.
 * The occurrence an actor stands for is in its input and context, where the inspector shows it.
 */
export class ActorSlots {
  readonly #free: string[] = [];
  #next = 0;

  /** An id no live actor has. */
  take(): string {
    return this.#free.pop() ?? `occurrence-${this.#next++}`;
  }

  /** Gives back the id of an actor that is done. */
  give(id: string): void {
    this.#free.push(id);
  }

  /** Ids handed out so far: the most actors that were alive at once. */
  get size(): number {
    return this.#next;
  }
}
