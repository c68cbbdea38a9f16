import type { CalendarConfig, Weekday, WorkingHours } from '../../domain/types.js';
import { WEEKDAYS } from '../../domain/types.js';
import { escapeText } from './escapeText.js';

function hoursText(hours: WorkingHours | undefined): string {
  if (hours === undefined) return 'closed';
  const slots = hours.slots === undefined ? '' : ` (slots ${hours.slots.join(', ')})`;
  return `${hours.start}–${hours.end}${slots}`;
}

/** `mon,tue,wed` → `mon-wed`; non-adjacent days stay listed. */
function dayRanges(days: readonly Weekday[]): string {
  const index = days.map((d) => WEEKDAYS.indexOf(d));
  const parts: string[] = [];
  for (let i = 0; i < index.length; ) {
    let j = i;
    while (j + 1 < index.length && index[j + 1] === (index[j] ?? 0) + 1) j++;
    const from = WEEKDAYS[index[i]!]!;
    const to = WEEKDAYS[index[j]!]!;
    parts.push(j - i >= 2 ? `${from}-${to}` : j === i ? from : `${from},${to}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The week's hours with equal days grouped: `mon-fri 09:00–17:00; sat,sun closed`. */
export function describeWeek(calendar: CalendarConfig): string {
  const groups = new Map<string, Weekday[]>();
  for (const day of WEEKDAYS) {
    const text = hoursText(calendar.workingHours[day]);
    groups.set(text, [...(groups.get(text) ?? []), day]);
  }
  return [...groups].map(([text, days]) => `${dayRanges(days)} ${text}`).join('; ');
}

/** The calendar as labelled lines, for `planflow calendar` without flags (text escaped). */
export function renderCalendar(calendar: CalendarConfig): string {
  const slots =
    calendar.slots.length === 0
      ? 'none'
      : calendar.slots.map((s) => `${s.id} ${s.start}`).join(', ');
  const lines = [
    ['Time zone', calendar.timeZone],
    ['Working hours', describeWeek(calendar)],
    ['Slots', slots],
    ['Max per day', calendar.maxPerDay === undefined ? 'no cap' : String(calendar.maxPerDay)],
    ['Holidays', calendar.holidays?.join(', ') || 'none'],
  ];
  return `${lines.map(([k, v]) => `${(k ?? '').padEnd(14)}${escapeText(v ?? '')}`).join('\n')}\n`;
}
