import type { Observable, Observer, Subscription } from 'rxjs';
// rxjs's own modules for the classes, not its index: see docs/performance.md ("Restart").
// Types come from 'rxjs' itself, so declarations never name an internal module.
import { Observable as ObservableClass } from 'rxjs/internal/Observable';
import { Subscriber } from 'rxjs/internal/Subscriber';

type Next<T> = ((value: T) => void) | null | undefined;
type Fail = ((error: unknown) => void) | null | undefined;
type Done = (() => void) | null | undefined;

/**
 * `source` as seen by users (`scheduler.events`, `scheduler.errors`): a callback given to its
 * `subscribe` that throws is caught and handed to `report`, and the subscription stays open.
 *
 * Why: rxjs treats a throwing subscriber as an unhandled error and rethrows it from a fresh
 * `setTimeout`, which ends a Node process. One careless observer of the log must not take
 * the scheduler (and the app) down with it.
 *
 * Only callbacks given to this observable's own `subscribe` are guarded. Operators
 * (`events.pipe(filter(...)).subscribe(fn)`) subscribe with rxjs's own subscribers, which
 * pass through unchanged; what throws downstream of an operator follows rxjs's rule (its
 * `config.onUnhandledError`). Wrap such callbacks yourself.
 */
export function guardedObservable<T>(
  source: Observable<T>,
  report: (error: unknown) => void,
): Observable<T> {
  return new GuardedObservable(source, report);
}

class GuardedObservable<T> extends ObservableClass<T> {
  readonly #report: (error: unknown) => void;

  constructor(source: Observable<T>, report: (error: unknown) => void) {
    super((subscriber) => source.subscribe(subscriber));
    this.#report = report;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | Next<T>,
    error?: Fail,
    complete?: Done,
  ): Subscription {
    // rxjs's own subscribers (operators, firstValueFrom) already know what to do.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const guard = this.#guard;
    if (typeof observerOrNext === 'object' && observerOrNext !== null) {
      const observer = observerOrNext;
      return super.subscribe({
        next: (value) => guard(() => observer.next?.(value)),
        error: (reason) =>
          guard(() => (observer.error ? observer.error(reason) : this.#report(reason))),
        complete: () => guard(() => observer.complete?.()),
      });
    }
    const next = observerOrNext;
    return super.subscribe({
      next: (value) => guard(() => next?.(value)),
      error: (reason) => guard(() => (error ? error(reason) : this.#report(reason))),
      complete: () => guard(() => complete?.()),
    });
  }

  readonly #guard = (call: () => void): void => {
    try {
      call();
    } catch (thrown) {
      this.#report(thrown);
    }
  };
}
