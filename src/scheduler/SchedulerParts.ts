import type { Occurrence, RunOutcome } from '../domain/types.js';
import type { EventLog } from '../log/EventLog.js';
import type { CalendarOccupancy } from '../planning/CalendarOccupancy.js';
import type { TimerQueue } from '../time/TimerQueue.js';
import type { OccurrenceActors } from './actors/OccurrenceActors.js';
import type { Supervisor } from './actors/Supervisor.js';
import type { Tx } from './CommandQueue.js';
import type { LiveWindow } from './LiveWindow.js';
import type { SchedulerLease } from './SchedulerLease.js';
import type { ResolvedSchedulerOptions } from './schedulerOptions.js';
import type { WriteFaults } from './WriteFaults.js';

/** A run whose outcome the store refused to record: kept until it can be. */
export type UnrecordedRun = Readonly<{ occurrence: Occurrence; outcome: RunOutcome }>;

/**
 * What the scheduler's commands decide with, each part fully built before the first command
 * runs (the composition root, `createScheduler`, builds them in order once the log is open).
 * A command reaches them only through its transaction (`tx.parts`), so only code running in
 * the command queue can append or arm.
 *
 * Today's parts fit the next steps of the design: the read model behind `log` is where a
 * store-backed projection plugs in (memory keeps only the live set), and the instance lease
 * (`lease`) is the part the claim and the recovery of interrupted runs consult.
 */
export type SchedulerParts = Readonly<{
  options: ResolvedSchedulerOptions;
  /** The log and its read model; appends go through here. */
  log: EventLog;
  /** The calendar's occupancy, kept in step with the log. */
  occupancy: CalendarOccupancy;
  timers: TimerQueue;
  supervisor: Supervisor;
  /** The live set: far-future timer entries and live occurrence actors. */
  actors: OccurrenceActors;
  /** When the live window (what of the pending occurrences memory holds) is widened. */
  window: LiveWindow;
  /** The open degraded period and the probe that retries the store. */
  faults: WriteFaults;
  /** This scheduler's lease on the log: held from the first `start()` until `stop()`. */
  lease: SchedulerLease;
  /**
   * Runs that happened but whose outcome a store fault kept out of the log, by occurrence id;
   * recorded as what they were once the store accepts writes (`recordUnrecorded`).
   */
  unrecorded: Map<string, UnrecordedRun>;
  /** Reports an error no caller waits for (`scheduler.errors`, `onError`). */
  report: (error: unknown) => void;
}>;

/** A command's transaction over the scheduler's parts: what every deciding function takes. */
export type SchedulerTx = Tx<SchedulerParts>;
