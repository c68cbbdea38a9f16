/** What one fleet instance (bench/fleetInstance.ts) is started with, as JSON on its argv. */
export type FleetInstanceArgs = Readonly<{
  url: string;
  schema: string;
  instanceId: string;
  leaseTtlMs: number;
  graceMs: number;
  /** How long the `work` handler waits; `noop` returns at once. */
  workMs: number;
  maxConnections: number;
}>;

/** Job-style: many occurrences of different tasks may share an instant. */
export const FLEET_CALENDAR = { timeZone: 'UTC', exclusiveInstants: false } as const;
