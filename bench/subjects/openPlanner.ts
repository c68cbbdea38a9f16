import type { CalendarPlanner } from '../../src/planning/ports.js';

/**
 * A calendar planner that accepts every instant. The default planner follows the seed's rule
 * that an instant holds one occurrence, so of several occurrences due in the same millisecond
 * all but one are recorded as skipped. Fire (10 000 over 5 s: two per millisecond) and Burst
 * (10 000 at one instant) measure triggering, not that rule, so they pass this planner through
 * the public `calendarPlanner` option. Arm keeps the default planner: its due times are
 * distinct, and its check is part of the arming cost.
 */
export const openPlanner: CalendarPlanner = {
  isSlotAvailable: () => true,
  isPinnedTimeValid: () => true,
  nextAvailableSlot: (after) => ({ at: after.toISOString() }),
};
