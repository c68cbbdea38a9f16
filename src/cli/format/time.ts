import { offsetMs } from '../../planning/timeZoneOffset.js';
import { escapeText } from './escapeText.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * An instant as the calendar zone's wall clock with its offset, `2026-03-02 09:00:05+01:00`:
 * what a person compares with their own clock, still unambiguous because the offset is shown.
 * Text that is not an instant (a hand-made log may hold anything) is shown escaped.
 */
export function formatInstant(iso: string, timeZone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeText(iso);
  const offset = offsetMs(ms, timeZone);
  const local = new Date(ms + offset);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `${date} ${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `o_1f3a9c0d2b…` → `o_1f3a9c0d`: enough to tell occurrences apart on a screen (escaped). */
export function shortId(occurrenceId: string): string {
  return escapeText(occurrenceId.slice(0, 10));
}
