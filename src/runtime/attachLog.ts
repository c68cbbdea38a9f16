import { parseCalendar } from '../domain/validateCalendar.js';
import { EventLog } from '../log/EventLog.js';
import { type StoredEvent, streams } from '../log/events.js';
import { LiveOccupancy } from './LiveOccupancy.js';
import type { SchedulerContext } from './SchedulerContext.js';

/**
 * Opens the scheduler's log and attaches the scheduler to it: every entry, once folded,
 * updates the calendar's live occupancy and is republished on `scheduler.events`. The
 * calendar given in the options wins over the recorded one, and is recorded when it differs,
 * so the log always says which calendar its decisions were made against. Runs as the
 * scheduler's first command.
 */
export async function attachLog(ctx: SchedulerContext): Promise<void> {
  const log = await EventLog.open(ctx.options.store);
  ctx.log = log;
  log.events.subscribe((event) => {
    syncOccupancy(ctx, event);
    ctx.events.next(event);
  });
  const recorded = log.model.calendar;
  const wanted =
    ctx.options.calendar !== undefined
      ? parseCalendar(ctx.options.calendar)
      : (recorded ?? parseCalendar({ timeZone: 'UTC' }));
  ctx.occupancy = new LiveOccupancy(wanted);
  ctx.occupancy.reset(wanted, log.model.listExecutions());
  if (recorded === undefined || JSON.stringify(recorded) !== JSON.stringify(wanted)) {
    await ctx.append([
      { type: 'calendar.configured', stream: streams.calendar, data: { calendar: wanted } },
    ]);
  }
}

/** Keeps the occupancy in step with one folded entry (a new calendar re-indexes it all). */
function syncOccupancy(ctx: SchedulerContext, event: StoredEvent): void {
  const occupancy = ctx.occupancy;
  if (occupancy === undefined) return;
  if (event.type === 'calendar.configured') {
    occupancy.reset(event.data.calendar, ctx.model().listExecutions());
    return;
  }
  let id: string;
  if (event.type === 'occurrence.scheduled') id = event.data.occurrence.id;
  else if ('occurrenceId' in event.data) id = event.data.occurrenceId;
  else return;
  const execution = ctx.model().getExecution(id);
  if (execution !== undefined) occupancy.sync(execution);
}
