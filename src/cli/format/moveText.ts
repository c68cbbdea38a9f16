import type { PlacementMove } from '../../domain/types.js';
import { escapeText } from './escapeText.js';
import { formatInstant } from './time.js';

/**
 * Where an occurrence was asked for and why the planner placed it elsewhere, for a person:
 * `moved from 2026-03-02 09:00:00+01:00: instant-taken`. The reason is the stored code (see
 * `PlacementReason`), escaped: a log written elsewhere may hold any text.
 */
export function moveText(moved: PlacementMove, timeZone: string): string {
  return `moved from ${formatInstant(String(moved.from), timeZone)}: ${escapeText(String(moved.reason))}`;
}
