/**
 * A scheduler under test in the Arm and Fire scenarios. `setup` does everything that is not
 * the measured work (creating the library's instance, building input objects such as Dates or
 * occurrences); `arm` schedules every due time and is what the clock measures.
 */
export interface TimerSubject {
  /**
   * Prepares to arm `dues` (epoch ms). `onFire(lateMs)` must be called once per due time when
   * it fires, with the lateness measured on entry to the callback.
   */
  setup(dues: Float64Array, onFire: (lateMs: number) => void): Promise<Armed>;
}

/** A prepared subject. */
export interface Armed {
  /** Schedules every due time given to `setup`. */
  arm(): Promise<void>;
  /** How many entries the subject reports pending, when it can tell (a sanity check). */
  pending(): number | undefined;
  /** Releases every timer so the process can exit. */
  dispose(): Promise<void>;
}
