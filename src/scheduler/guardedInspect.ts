import type { InspectOption } from './schedulerOptions.js';

/**
 * The `inspect` option as handed to every actor: an inspector that throws is reported to
 * `report` instead of throwing out of XState. XState calls inspectors synchronously inside
 * `createActor` and every `send`, so a throw there would surface in whatever timer callback
 * or effect sent the event (and, from an effect's answer, as an unhandled rejection).
 */
export function guardedInspect(
  inspect: InspectOption | undefined,
  report: (error: unknown) => void,
): InspectOption | undefined {
  if (inspect === undefined) return undefined;
  return (event) => {
    try {
      if (typeof inspect === 'function') inspect(event);
      else inspect.next?.(event);
    } catch (error) {
      report(error);
    }
  };
}
