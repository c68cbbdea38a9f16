import type { StoredEvent } from '../../log/events.js';

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
 * re-verified by anyone with the hash rules in docs/storage.md.
 */
export function toJsonLine(event: StoredEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The CSV header line. */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
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
    JSON.stringify(event.data),
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}
