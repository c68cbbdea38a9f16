import type { RRuleTemporal } from 'rrule-temporal';
import { compileRrule } from '../domain/compileRrule.js';

/** Distinct rules kept compiled; a task set rarely has more than a handful. */
const MAX_RULES = 1000;

const rules = new Map<string, RRuleTemporal>();

/**
 * The first instance of an RFC 5545 rule (`DTSTART`, `RRULE`, `EXDATE`, `RDATE` lines, as
 * `readRrule` normalises them) strictly after `fromMs`, or `undefined` once the series has
 * ended (`COUNT`, `UNTIL`). Evaluated by rrule-temporal in the DTSTART's zone: an instance at
 * a local time a spring-forward gap skips is left out, and a local time that happens twice
 * is its first occurrence (RFC 5545 §3.3.10, §3.3.5). Compiled rules are kept, since the
 * runtime asks for the same rules again and again.
 */
export function nextRruleRun(rule: string, fromMs: number): number | undefined {
  let compiled = rules.get(rule);
  if (compiled === undefined) {
    if (rules.size >= MAX_RULES) rules.clear();
    compiled = compileRrule(rule);
    rules.set(rule, compiled);
  }
  const next = compiled.next(new Date(fromMs));
  return next === null ? undefined : next.epochMilliseconds;
}
