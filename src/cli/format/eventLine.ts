import type { StoredEvent } from '../../log/events.js';
import { describeEvent, type EventLookup } from './describeEvent.js';
import { escapeText } from './escapeText.js';
import type { Style } from './style.js';
import { formatInstant, shortId } from './time.js';

/** Width of the type column: the longest event type, `scheduler.clock_jumped`. */
const TYPE_WIDTH = 22;
const TASK_WIDTH = 18;

/**
 * One log entry as one line for `run`: time in the calendar zone, type, task title,
 * short occurrence id and the outcome. Fixed-width columns keep a live stream readable.
 */
export function eventLine(
  event: StoredEvent,
  lookup: EventLookup,
  style: Style,
  timeZone: string,
): string {
  const s = describeEvent(event, lookup, style, timeZone);
  const task = s.task ?? '';
  const occurrence = s.occurrenceId === undefined ? '' : shortId(s.occurrenceId);
  return [
    style.dim(formatInstant(event.time, timeZone)),
    escapeText(event.type).padEnd(TYPE_WIDTH),
    (task.length > TASK_WIDTH ? `${task.slice(0, TASK_WIDTH - 1)}…` : task).padEnd(TASK_WIDTH),
    occurrence.padEnd(10),
    s.detail,
  ]
    .join('  ')
    .trimEnd();
}
