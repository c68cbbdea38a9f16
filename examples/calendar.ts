/**
 * Calendar rules: where occurrences land.
 *
 * A Berlin office calendar (working hours Monday to Friday, three named slots, at most two
 * occurrences a day, Good Friday and Easter Monday off) and three tasks: a stand-up on a
 * cron, a review that prefers the afternoon slot, and an audit pinned to an exact time.
 * The scheduler runs on a simulated clock across thirteen days that include the change to
 * summer time (Sunday 29 March 2026), and prints where each occurrence fired, in local
 * time and UTC: 09:30 stays 09:30 on the wall clock while its UTC instant moves by an hour.
 * On Tuesday 31 March the stand-up and the audit reach the cap, so that day has no review;
 * the stand-up due on Good Friday moves past the Easter weekend to Tuesday 7 April.
 *
 * Run: `npx tsx examples/calendar.ts` (the thirteen days pass in about a second).
 */
import { pathToFileURL } from 'node:url';
import { createScheduler, memoryStore, type Occurrence } from '../src/index.js';
import { TestClock } from '../src/testing/index.js';

export type CalendarOptions = Readonly<{
  /** The simulated clock. @default a TestClock at Thursday 26 March 2026, 00:00 in Berlin */
  clock?: TestClock;
  /** How many days to simulate. @default 13 */
  days?: number;
  print?: (line: string) => void;
}>;

/** One trigger: which task, at which instant, in which slot. */
export type Landing = Readonly<{ taskId: string; at: string; local: string; slot?: string }>;

const DAY_MS = 86_400_000;
const TIME_ZONE = 'Europe/Berlin';
const local = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  weekday: 'short',
  day: '2-digit',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

/** Runs the calendar tour; resolves with every trigger in order. */
export async function runCalendar(options: CalendarOptions = {}): Promise<readonly Landing[]> {
  const clock = options.clock ?? new TestClock(Date.parse('2026-03-25T23:00:00Z'));
  const print = options.print ?? ((line: string) => console.log(line));
  const office = { start: '09:00', end: '17:00', slots: ['morning', 'noon', 'afternoon'] };
  const scheduler = createScheduler({
    store: memoryStore({ clock }),
    clock,
    calendar: {
      timeZone: TIME_ZONE,
      workingHours: { mon: office, tue: office, wed: office, thu: office, fri: office },
      slots: [
        { id: 'morning', start: '09:30' },
        { id: 'noon', start: '12:00' },
        { id: 'afternoon', start: '15:00' },
      ],
      maxPerDay: 2,
      holidays: ['2026-04-03', '2026-04-06'],
    },
  });

  const landings: Landing[] = [];
  // Occurrences as recorded, to name the one each trigger is about.
  const recorded = new Map<string, Occurrence>();
  scheduler.events.subscribe((event) => {
    if (event.type === 'occurrence.scheduled') {
      recorded.set(event.data.occurrence.id, event.data.occurrence);
      return;
    }
    if (event.type !== 'occurrence.triggered') return;
    const occ = recorded.get(event.data.occurrenceId);
    if (occ === undefined) return;
    const landing: Landing = {
      taskId: occ.taskId,
      at: occ.scheduledFor,
      local: local.format(new Date(occ.scheduledFor)),
      ...(occ.slotName === undefined ? {} : { slot: occ.slotName }),
    };
    landings.push(landing);
    const where = occ.pinnedTime !== undefined ? 'pinned time' : `slot ${occ.slotName ?? '-'}`;
    print(
      `${landing.local.padEnd(24)} ${occ.scheduledFor.slice(11, 16)}Z  ${occ.taskId.padEnd(8)} ${where}`,
    );
  });

  // Daily at 09:30 local on weekdays: always the morning slot, whatever the UTC offset.
  await scheduler.defineTask({
    id: 'standup',
    title: 'Stand-up',
    recurrence: { cron: '30 9 * * 1-5' },
  });
  // Due at 08:00, before working hours: placed in its preferred slot that day instead.
  await scheduler.defineTask({
    id: 'review',
    title: 'Code review',
    recurrence: { cron: '0 8 * * *' },
    preferredSlots: ['afternoon'],
  });
  // An exact instant (11:15 is no slot): a pinned time bypasses the slots, not the hours or cap.
  await scheduler.defineTask({
    id: 'audit',
    title: 'Audit',
    pinnedTime: '2026-03-31T09:15:00Z',
  });

  print('local time (Europe/Berlin)   UTC    task     placed by');
  await scheduler.start();
  await clock.advanceAsync((options.days ?? 13) * DAY_MS);
  await scheduler.stop();
  return landings;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCalendar();
}
