import type { Task } from '../../domain/types.js';
import type { StoredEvent } from '../../log/events.js';
import { formatDuration } from '../parse/duration.js';
import { escapeText, quoteText } from './escapeText.js';
import { moveText } from './moveText.js';
import type { Style } from './style.js';
import { formatInstant, shortId } from './time.js';

/** What an event line needs to name things: tasks by id, and the task of an occurrence. */
export type EventLookup = Readonly<{
  getTask(taskId: string): Task | undefined;
  taskOfOccurrence(occurrenceId: string): string | undefined;
}>;

/** One event, described for a person: who it is about and what happened. */
export type EventSummary = Readonly<{
  taskId?: string;
  /** The task's title, or its id when the task is gone. */
  task?: string;
  occurrenceId?: string;
  /** Outcome or detail, coloured when the style has colour. */
  detail: string;
}>;

function occurrenceIdOf(event: StoredEvent): string | undefined {
  if (event.type === 'occurrence.scheduled') return event.data.occurrence.id;
  if (event.type.startsWith('occurrence.'))
    return (event.data as { occurrenceId: string }).occurrenceId;
  return undefined;
}

function taskIdOf(event: StoredEvent, lookup: EventLookup): string | undefined {
  switch (event.type) {
    case 'task.defined':
    case 'task.updated':
      return event.data.task.id;
    case 'task.removed':
    case 'task.paused':
    case 'task.resumed':
    case 'task.slotsSkipped':
      return event.data.taskId;
    case 'occurrence.scheduled':
      return event.data.occurrence.taskId;
    default: {
      const id = occurrenceIdOf(event);
      return id === undefined ? undefined : lookup.taskOfOccurrence(id);
    }
  }
}

function detailOf(event: StoredEvent, style: Style, timeZone: string): string {
  switch (event.type) {
    case 'task.defined':
    case 'task.updated':
      return quoteText(event.data.task.title);
    case 'task.removed':
      return style.yellow('removed');
    case 'task.paused':
      return style.yellow('paused');
    case 'task.resumed':
      return style.green('resumed');
    case 'task.slotsSkipped':
      return style.yellow(slotsText(event.data, timeZone));
    case 'calendar.configured': {
      const c = event.data.calendar;
      const cap = c.maxPerDay === undefined ? '' : `, at most ${c.maxPerDay}/day`;
      return escapeText(`zone ${c.timeZone}, ${c.slots.length} slot(s)${cap}`);
    }
    case 'occurrence.scheduled': {
      const o = event.data.occurrence;
      const slot = o.slotName === undefined ? '' : `, slot ${escapeText(o.slotName)}`;
      const standsFor =
        typeof o.slot === 'string' ? `, for the slot of ${formatInstant(o.slot, timeZone)}` : '';
      const moved =
        typeof o.moved === 'object' && o.moved !== null
          ? `, ${style.yellow(moveText(o.moved, timeZone))}`
          : '';
      return `for ${formatInstant(o.scheduledFor, timeZone)} (${escapeText(`${o.cause}, attempt ${o.attempt}`)}${slot}${standsFor})${moved}`;
    }
    case 'occurrence.skipped':
      return style.yellow(`skipped: ${escapeText(String(event.data.reason))}`);
    case 'occurrence.triggered': {
      const manual = event.data.manual === true ? ', by hand' : '';
      const late = event.data.lateByMs > 0 ? `, ${formatDuration(event.data.lateByMs)} late` : '';
      return style.cyan(`attempt ${escapeText(String(event.data.attempt))}${late}${manual}`);
    }
    case 'occurrence.completed':
      return style.green(`ok in ${formatDuration(event.data.durationMs)}`);
    case 'occurrence.failed': {
      const { error, durationMs, interrupted } = event.data;
      const why =
        interrupted === true ? 'interrupted' : error.timedOut === true ? 'timed out' : 'failed';
      return style.red(
        `${why}: ${escapeText(String(error.message))} (${formatDuration(durationMs)})`,
      );
    }
    case 'occurrence.missed':
      return style.yellow(`missed by ${formatDuration(event.data.lateByMs)}`);
    case 'occurrence.retried':
      return `retry → ${shortId(event.data.retryId)}`;
    case 'occurrence.recurred':
      return `next → ${shortId(event.data.nextId)}`;
    case 'occurrence.recovered':
      return `replaced by ${shortId(event.data.replacementId)}`;
    case 'occurrence.cancelled':
      return style.yellow(`cancelled (${escapeText(String(event.data.reason))})`);
    case 'scheduler.started':
    case 'scheduler.paused':
    case 'scheduler.stopped':
      return style.dim(`instance ${escapeText(String(event.data.instanceId))}`);
    case 'scheduler.clock_jumped':
      return style.yellow(`clock jumped by ${formatDuration(Math.abs(event.data.driftMs))}`);
    case 'scheduler.degraded': {
      const { since, recoveredAt, failures, lastError } = event.data;
      const ms = Date.parse(String(recoveredAt)) - Date.parse(String(since));
      const took = Number.isFinite(ms) ? ` for ${formatDuration(ms)}` : '';
      return style.yellow(
        `store refused ${escapeText(String(failures))} write(s)${took}: ${escapeText(String(lastError?.message))}`,
      );
    }
    default:
      // A type this version does not know, from a newer or a hand-made log: the TYPE column
      // says which.
      return '';
  }
}

/** The slots an entry names, for a person: how many, which, why and by which policy. */
function slotsText(data: StoredEvent<'task.slotsSkipped'>['data'], timeZone: string): string {
  // Read defensively: the log may come from someone else.
  const slots = Array.isArray(data.slots) ? data.slots.map(String) : [];
  const shown = slots.slice(0, 3).map((s) => formatInstant(s, timeZone));
  const rest = slots.length > shown.length ? ` … ${formatInstant(slots.at(-1)!, timeZone)}` : '';
  const by = data.caughtUpBy === undefined ? '' : `, run as ${shortId(String(data.caughtUpBy))}`;
  const what = data.reason === 'caught-up' ? 'caught up' : 'skipped';
  return escapeText(
    `${slots.length} slot(s) ${what} (${String(data.reason)}, policy ${String(data.policy)}): ${shown.join(', ')}${rest}${by}`,
  );
}

/**
 * Describes one log entry: the task it concerns (title when known), the occurrence, and the
 * outcome in a few words (`ok in 52ms`, `failed: command exited with code 1 (40ms)`). Every
 * stored text in `task` and `detail` is escaped (see `escapeText`): the log may come from
 * someone else. `taskId` and `occurrenceId` are the raw ids, for lookups.
 */
export function describeEvent(
  event: StoredEvent,
  lookup: EventLookup,
  style: Style,
  timeZone: string,
): EventSummary {
  const taskId = taskIdOf(event, lookup);
  const occurrenceId = occurrenceIdOf(event);
  const summary: { -readonly [K in keyof EventSummary]: EventSummary[K] } = {
    detail: detailOf(event, style, timeZone),
  };
  if (taskId !== undefined) {
    summary.taskId = taskId;
    summary.task = escapeText(lookup.getTask(taskId)?.title ?? taskId);
  }
  if (occurrenceId !== undefined) summary.occurrenceId = occurrenceId;
  return summary;
}
