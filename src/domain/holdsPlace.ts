import type { Execution } from './types.js';

/**
 * Whether an occurrence holds its place on the calendar: it is still planned, or it ran, and
 * its task does not ignore the calendar (`outsideCalendar`). The one definition the
 * occupancy, the live set and every store's `placesSince` count by.
 */
export function holdsPlace(execution: Execution): boolean {
  return (
    (execution.state === 'scheduled' || execution.triggered) && execution.outsideCalendar !== true
  );
}
