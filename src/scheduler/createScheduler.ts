// rxjs's own module for the class, not its index: see docs/performance.md ("Restart").
import { Subject } from 'rxjs/internal/Subject';
import type { OccurrenceEffects } from '../../machines/occurrence.js';
import { holdsPlace } from '../domain/holdsPlace.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import { EventLog, type EventLogOptions } from '../log/EventLog.js';
import type { StoredEvent } from '../log/events.js';
import { calendarConfigured } from '../log/facts.js';
import { CalendarOccupancy } from '../planning/CalendarOccupancy.js';
import { TimerQueue } from '../time/TimerQueue.js';
import { liveOccurrences } from './actors/liveOccurrences.js';
import { OccurrenceActors } from './actors/OccurrenceActors.js';
import { occurrenceEffects } from './actors/occurrenceEffects.js';
import { RunningHandlers } from './actors/RunningHandlers.js';
import { RunPlaces } from './actors/RunPlaces.js';
import { Supervisor } from './actors/Supervisor.js';
import { CommandQueue } from './CommandQueue.js';
import { adoptRemote, type RemoteChanges, rebalance } from './commands/fleet.js';
import { leaseLost, probeStore, runJobs, transition } from './commands/lifecycle.js';
import { recountIfTouched } from './commands/widenWindow.js';
import { windowDue } from './commands/windowDue.js';
import { degradedError } from './degradedError.js';
import { guardedInspect } from './guardedInspect.js';
import { guardedObservable } from './guardedObservable.js';
import type { Handlers } from './handlers.js';
import { LiveWindow } from './LiveWindow.js';
import { fillOccupancy, OCCUPANCY_MARGIN_MS, readLogPlaces } from './occupancyOfLog.js';
import { SchedulerLease } from './SchedulerLease.js';
import type { SchedulerParts } from './SchedulerParts.js';
import { SmartScheduler } from './SmartScheduler.js';
import {
  type ResolvedSchedulerOptions,
  resolveSchedulerOptions,
  type SchedulerOptions,
} from './schedulerOptions.js';
import { isWriteFault, WriteFaults } from './WriteFaults.js';

/**
 * Creates a scheduler over a log. It opens the log in the background (`scheduler.ready`);
 * every method waits for that by itself, so the result can be used at once.
 *
 * This is the composition root: every part of a scheduler is built here, in dependency
 * order, and handed what it needs. Nothing else constructs parts or wires them together.
 * @throws ValidationError for malformed options (nothing is opened or written).
 * @example
 * const scheduler = createScheduler({
 *   store: memoryStore(),
 *   calendar: { timeZone: 'Europe/Berlin' },
 *   handlers: { remind: async (occurrence, { signal }) => notify(occurrence, signal) },
 * });
 * await scheduler.defineTask({ id: 'standup', title: 'Stand-up', handler: 'remind',
 *   recurrence: { cron: '30 9 * * 1-5' }, retry: { maxRetries: 3 } });
 * await scheduler.start();
 */
export function createScheduler<H extends Handlers = Handlers>(
  options: SchedulerOptions<H> = {},
): SmartScheduler<H> {
  const resolved = resolveSchedulerOptions(options);
  const events = new Subject<StoredEvent>();
  const errors = new Subject<unknown>();
  // `onError`, if any; one that throws has nowhere left to report to, so that is dropped
  // (a throw here would reject a timer's or an effect's chain).
  const callOnError = (error: unknown): void => {
    try {
      resolved.onError?.(error);
    } catch {}
  };
  // Store faults that opened or joined a degraded period: reported once, as that period.
  const accounted = new WeakSet<object>();
  const report = (error: unknown): void => {
    if (typeof error === 'object' && error !== null && accounted.has(error)) return;
    callOnError(error);
    errors.next(error);
  };
  const inspect = guardedInspect(resolved.inspect, report);
  // Commands wait until the queue opens with the parts below, once the log is open.
  const queue = new CommandQueue<SchedulerParts>();
  const timers = new TimerQueue({
    clock: resolved.clock,
    maxWaitMs: resolved.maxWaitMs,
    onClockJump: (jump) => {
      void queue.run((tx) => transition(tx, { type: 'CLOCK_JUMPED', ...jump })).catch(report);
    },
    onError: report,
  });
  const supervisor = new Supervisor({ clock: timers, inspect });
  const faults = new WriteFaults({
    timers,
    retry: resolved.writeRetry,
    probe: () => {
      void queue.run((tx) => probeStore(tx)).catch(report);
    },
  });
  // Every rejected append passes here first (the log's one listener), whichever command made
  // it: a store fault while running healthy turns the scheduler degraded and is reported once.
  const onAppendFailed = (error: unknown): void => {
    if (!isWriteFault(error)) return;
    const status = supervisor.status;
    if (!faults.noteFailure(error, status === 'running')) return;
    if (typeof error === 'object' && error !== null) accounted.add(error);
    if (status !== 'running') return;
    // Inside the failing command: the status turns at once, so no later claim is tried; the
    // jobs (arming the probe) run as the next command.
    const jobs = supervisor.send({ type: 'WRITE_FAILED' });
    report(degradedError(error, resolved.writeRetry));
    void queue.run((tx) => runJobs(tx, jobs)).catch(report);
  };
  const handlers = new RunningHandlers(
    resolved.handlers,
    timers,
    new RunPlaces(resolved.concurrency),
  );
  // Taken at the first start; its heartbeat runs on the scheduler's own clock.
  const lease = new SchedulerLease({
    store: resolved.store,
    instanceId: resolved.instanceId,
    ttlMs: resolved.leaseTtlMs,
    clock: resolved.clock,
    onLost: (error) => {
      // Whoever took over may record the runs in flight interrupted and retry them with the
      // same key: their handlers are told to stop now.
      handlers.abortRunning(error);
      void queue.run((tx) => leaseLost(tx, error)).catch(report);
    },
    // A fleet's members changed: the tasks are spread again, and a dead one's runs recovered.
    onPeersChanged: () => {
      void queue
        .run((tx) => rebalance(tx))
        .then((claims) => Promise.all(claims))
        .catch(report);
    },
  });

  // The occurrence machine's effects, bound once for every occurrence of this scheduler.
  const effects = occurrenceEffects(queue, handlers, report);
  const window = new LiveWindow({
    timers,
    windowMs: resolved.liveWindowMs,
    onDue: () => {
      void queue
        .run((tx) => windowDue(tx))
        .then((claims) => Promise.all(claims))
        .catch(report);
    },
  });
  const opening = openParts(resolved, {
    timers,
    supervisor,
    faults,
    lease,
    window,
    onAppendFailed,
    report,
    events,
    effects,
    onRemote: lease.shared ? remoteListener(queue, resolved.instanceId, report) : undefined,
    // Another writer moved on occurrences the live window left in the store: their places
    // are counted again by the next command, before anything else decides.
    onFarTouched: () => {
      void queue.run((tx) => recountIfTouched(tx)).catch(report);
    },
  });
  queue.open(opening);
  opening.catch(report);
  return new SmartScheduler<H>({
    queue,
    supervisor,
    handlers,
    timers,
    events: guardedObservable(events, report),
    errors: guardedObservable(errors, callOnError),
    streams: { events, errors },
    opening,
  });
}

/** Entries folded between two sweeps of places older than the margin. */
const FORGET_EVERY = 4096;

type Built = Readonly<{
  timers: TimerQueue;
  supervisor: Supervisor;
  faults: WriteFaults;
  lease: SchedulerLease;
  window: LiveWindow;
  onAppendFailed: (error: unknown) => void;
  report: (error: unknown) => void;
  events: Subject<StoredEvent>;
  effects: OccurrenceEffects;
  onRemote: EventLogOptions['onRemote'];
  onFarTouched: () => void;
}>;

const LIFECYCLE = new Set(['scheduler.started', 'scheduler.paused', 'scheduler.stopped']);

/**
 * On a shared store, what other instances record is taken in by one queued command at a time
 * (`adoptRemote`): the changes that arrive while one waits join it.
 */
function remoteListener(
  queue: CommandQueue<SchedulerParts>,
  instanceId: string,
  report: (error: unknown) => void,
): NonNullable<EventLogOptions['onRemote']> {
  let gathered: RemoteChanges | undefined;
  return (changes, entries) => {
    const first = gathered === undefined;
    gathered ??= { occurrenceIds: new Set(), taskIds: new Set(), lifecycle: false };
    for (const id of changes.records.keys()) gathered.occurrenceIds.add(id);
    // Gone with an archive run while this instance lagged: their actors are released.
    for (const id of changes.archivedIds ?? []) gathered.occurrenceIds.add(id);
    for (const id of changes.tasks.keys()) gathered.taskIds.add(id);
    for (const entry of entries) {
      if (
        LIFECYCLE.has(entry.type) &&
        (entry.data as { instanceId?: string }).instanceId !== instanceId
      ) {
        gathered.lifecycle = true;
      }
    }
    if (!first) return;
    void queue
      .run((tx) => {
        const taken = gathered!;
        gathered = undefined;
        return adoptRemote(tx, taken);
      })
      .then((claims) => Promise.all(claims))
      .catch(report);
  };
}

/**
 * Opens the log and builds the parts that need it: the occupancy kept in step with every
 * folded entry, and the live set. The calendar given in the options wins over the recorded
 * one and is recorded when it differs, so the log always says which calendar its decisions
 * were made against. Runs before any command.
 */
async function openParts(options: ResolvedSchedulerOptions, built: Built): Promise<SchedulerParts> {
  let occupancy: CalendarOccupancy | undefined;
  let folded = 0;
  const log = await EventLog.open(options.store, {
    onAppendFailed: built.onAppendFailed,
    windowEndMs: built.window.endFrom(built.timers.now()),
    // Waiting occurrences the window left in the store, taken in: their places get names.
    onAdopted: (adopted) => {
      if (occupancy === undefined) return;
      for (const kept of adopted) {
        if ('execution' in kept && !holdsPlace(kept.execution)) continue;
        occupancy.adoptUnnamed(kept.occurrence.id, kept.occurrence.scheduledFor);
      }
    },
    ...(built.onRemote === undefined ? {} : { onRemote: built.onRemote }),
    onFarTouched: built.onFarTouched,
    // The model was replaced (what this log had not folded was archived meanwhile): the
    // occupancy is counted again from it and the store, as at open.
    onReplaced: async () => {
      if (occupancy === undefined) return;
      const calendar = occupancy.calendar;
      const read = await readLogPlaces(log, built.timers.now(), calendar);
      occupancy.reset(calendar);
      fillOccupancy(occupancy, log, read);
    },
    onProjected: (changes) => {
      if (occupancy === undefined) return;
      if (changes.calendar !== undefined) occupancy.rezone(changes.calendar);
      for (const record of changes.records.values()) occupancy.sync(record.execution);
      folded += changes.taskIds.length;
      if (folded >= FORGET_EVERY) {
        folded = 0;
        occupancy.forgetBefore(built.timers.now() - OCCUPANCY_MARGIN_MS);
      }
    },
  });
  const model = log.model;
  const recorded = model.calendar;
  const wanted = options.calendar ?? recorded ?? parseCalendar({ timeZone: 'UTC' });
  const opened = new CalendarOccupancy(wanted);
  fillOccupancy(
    opened,
    log,
    await readLogPlaces(log, built.timers.now(), wanted, log.takeFarAtOpen()),
  );
  occupancy = opened;
  log.events.subscribe((event) => built.events.next(event));
  const actors = new OccurrenceActors({
    timers: built.timers,
    horizonMs: options.horizonMs,
    live: liveOccurrences({
      effects: built.effects,
      interpreted: options.inspect !== undefined,
      supervisor: built.supervisor.ref,
      clock: built.timers,
      graceMs: options.graceMs,
    }),
    supervisor: built.supervisor,
    reportCounts: options.inspect !== undefined,
    recorded: (id) => model.getOccurrence(id),
  });
  if (recorded === undefined || JSON.stringify(recorded) !== JSON.stringify(wanted)) {
    await log.append([calendarConfigured(wanted)]);
  }
  return Object.freeze({
    options,
    log,
    occupancy,
    timers: built.timers,
    supervisor: built.supervisor,
    actors,
    window: built.window,
    faults: built.faults,
    lease: built.lease,
    unrecorded: new Map(),
    report: built.report,
  });
}
