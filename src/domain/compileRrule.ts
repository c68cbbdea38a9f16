import { createRequire } from 'node:module';
import type { RRuleTemporal } from 'rrule-temporal';

let engine: typeof RRuleTemporal | undefined;

/**
 * Builds rrule-temporal's evaluator for a rule text (`DTSTART…\nRRULE:…`). The library (with
 * the Temporal polyfill it bundles) is required on first use rather than imported, because
 * loading it costs 20–50 ms and an application without RRULE tasks should not pay that at
 * start-up; `require` keeps the call synchronous, as validation and planning are.
 * @throws whatever the library throws for a rule it cannot evaluate.
 */
export function compileRrule(rule: string): RRuleTemporal {
  engine ??= (createRequire(import.meta.url)('rrule-temporal') as typeof import('rrule-temporal'))
    .RRuleTemporal;
  return new engine({ rruleString: rule });
}
