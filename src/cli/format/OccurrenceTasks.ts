import type { StoredEvent } from '../../log/events.js';

/** How many occurrences the index remembers; the oldest are forgotten first. */
const CAPACITY = 50_000;

/**
 * Which task an occurrence belongs to, learnt from the `occurrence.scheduled` entries a
 * command reads or streams (every other entry about an occurrence comes after that one).
 * Bounded, so a `planflow run` of months keeps only the recent occurrences: an entry names
 * an occurrence soon after it was scheduled.
 */
export class OccurrenceTasks {
  readonly #taskOf = new Map<string, string>();

  /** Remembers the task of an occurrence the entry schedules (other entries change nothing). */
  learn(event: StoredEvent): void {
    if (event.type !== 'occurrence.scheduled') return;
    this.remember(event.data.occurrence.id, event.data.occurrence.taskId);
  }

  remember(occurrenceId: string, taskId: string): void {
    this.#taskOf.delete(occurrenceId);
    this.#taskOf.set(occurrenceId, taskId);
    if (this.#taskOf.size <= CAPACITY) return;
    const oldest = this.#taskOf.keys().next().value;
    if (oldest !== undefined) this.#taskOf.delete(oldest);
  }

  taskOf(occurrenceId: string): string | undefined {
    return this.#taskOf.get(occurrenceId);
  }
}
