import type { StoredEvent } from '../../log/events.js';
import { escapeText, toSafeJson } from './escapeText.js';

/** Columns of the CSV export, in order; `data` holds the payload as JSON text. */
export const CSV_COLUMNS = [
  'seq',
  'id',
  'time',
  'type',
  'stream',
  'schemaVersion',
  'prevHash',
  'hash',
  'data',
] as const;

/**
 * One entry as one JSON line, every field as stored (hashes included), so an export can be
 * re-verified by anyone with the hash rules in docs/storage.md. Control characters are
 * `\uXXXX` escapes (see `toSafeJson`), which parse back to the stored text.
 */
export function toJsonLine(event: StoredEvent): string {
  return `${toSafeJson(event)}\n`;
}

/** What a spreadsheet takes as the start of a formula (or, for tab and CR, skips to one). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field, safe to open in a spreadsheet: control characters escaped as the terminal
 * output escapes them (see `escapeText`); a field starting with `=`, `+`, `-`, `@`, tab or CR
 * (a log's own ids may start with `-`) gets a leading `'` so it is read as text, not run as
 * a formula; and every field is quoted, quotes doubled (RFC 4180), so a `,` or `;` inside
 * one never starts another cell. Strip a leading `'` to get the stored text back.
 */
export function csvField(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${escapeText(text).replace(/"/g, '""')}"`;
}

/** The CSV header line, quoted like every other line. */
export function csvHeader(): string {
  return `${CSV_COLUMNS.map(csvField).join(',')}\r\n`;
}

/** One entry as one CSV record (CRLF-terminated, as RFC 4180 asks). */
export function toCsvRow(event: StoredEvent): string {
  const cells = [
    String(event.seq),
    event.id,
    event.time,
    event.type,
    event.stream,
    String(event.schemaVersion),
    event.prevHash,
    event.hash,
    toSafeJson(event.data),
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}
