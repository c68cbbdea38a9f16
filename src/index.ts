/**
 * `planflow`: the public API. Every export is listed by name; nothing else is public.
 * The SQLite store lives in `planflow/sqlite` and test clocks in `planflow/testing`, so
 * importing this entry point loads neither a native driver nor test helpers.
 */

// The machines, for visualising and for model-based tests of one's own
export {
  type ClaimInput,
  type ClaimResult,
  type EffectEvent,
  type MissedState,
  type MissInput,
  type OccurrenceActorInput,
  type OccurrenceContext,
  type OccurrenceEffects,
  type OccurrenceEvent,
  type OccurrenceOutcome,
  occurrenceMachine,
  type RecordedOutcome,
  type RecordInput,
  type RunInput,
  withEffects,
} from '../machines/occurrence.js';
export {
  type SupervisorContext,
  type SupervisorEvent,
  supervisorMachine,
} from '../machines/supervisor.js';
// Domain values and errors
export {
  ConcurrencyError,
  CorruptLogError,
  DegradedError,
  DependencyError,
  isPlanflowError,
  type LogDamage,
  LogHeldError,
  NotFoundError,
  PlanflowError,
  type PlanflowErrorCode,
  StateError,
  StorageError,
  type StorageErrorCode,
  ValidationError,
} from './domain/errors.js';
export { makeOccurrence, type OccurrenceSpec } from './domain/makeOccurrence.js';
export { occurrenceId } from './domain/occurrenceId.js';
export type {
  BackfillOptions,
  CalendarConfig,
  CalendarDraft,
  CalendarInput,
  CalendarRecipe,
  CancelReason,
  CatchUpPolicy,
  CatchUpPolicyInput,
  CatchUpPolicyName,
  CronRecurrence,
  CronRecurrenceInput,
  DeepMutable,
  DefaultPayload,
  EntryQuery,
  ErrorRecord,
  Execution,
  ExecutionOutcome,
  ExecutionState,
  HandlerName,
  HistoryEntry,
  HistoryQuery,
  InstanceLease,
  InstantInput,
  IntervalRecurrence,
  IntervalRecurrenceInput,
  IsoInstant,
  LocalDate,
  NextRunsOptions,
  Occurrence,
  OccurrenceCause,
  OccurrenceQuery,
  OverlapPolicy,
  Page,
  PageRequest,
  PayloadOf,
  PlacementMove,
  PlacementReason,
  Priority,
  RecordQuery,
  Recurrence,
  RecurrenceInput,
  ResolvedPage,
  RetryPolicy,
  RetryPolicyInput,
  RruleRecurrence,
  RruleRecurrenceInput,
  RunOutcome,
  ScheduledOccurrenceInput,
  SchedulerStatus,
  SlotSkipReason,
  Task,
  TaskChanges,
  TaskChangesFor,
  TaskDraft,
  TaskInput,
  TaskInputFor,
  TaskRecipe,
  TimeSlot,
  TimeSlotInput,
  TriggerTarget,
  WallTime,
  Weekday,
  WorkingHours,
  WorkingHoursInput,
} from './domain/types.js';
export { OCCURRENCE_CAUSES, WEEKDAYS } from './domain/types.js';
export { MAX_BACKFILL_RUNS } from './domain/validateBackfill.js';
export { parseCalendar } from './domain/validateCalendar.js';
export { DEFAULT_CATCH_UP_MAX_RUNS } from './domain/validateCatchUp.js';
export { parseHistoryQuery } from './domain/validateHistoryQuery.js';
export { parseId } from './domain/validateId.js';
export { parseInstant } from './domain/validateInstant.js';
export { JSON_LIMITS } from './domain/validateJson.js';
export { MAX_NEXT_RUNS } from './domain/validateNextRuns.js';
export { PLACEMENT_REASONS, parseOccurrence } from './domain/validateOccurrence.js';
export {
  EXECUTION_OUTCOMES,
  EXECUTION_STATES,
  parseOccurrenceQuery,
} from './domain/validateOccurrenceQuery.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './domain/validatePageRequest.js';
export { parseRecurrence } from './domain/validateRecurrence.js';
export { DEFAULT_RETRY_POLICY, parseRetryPolicy } from './domain/validateRetryPolicy.js';
export { OVERLAP_POLICIES, parseTask, TASK_TEXT_LIMITS } from './domain/validateTask.js';
export { applyTaskChanges, parseTaskChanges } from './domain/validateTaskChanges.js';
export { parseTriggerTarget } from './domain/validateTriggerTarget.js';
// The event log
export type {
  ArchiveOptions,
  ArchiveResult,
  ArchiveStep,
  ArchivingStore,
  SegmentRecord,
} from './log/ArchivingStore.js';
export type { CheckpointedStore } from './log/CheckpointedStore.js';
export { type Checkpoint, checkpointBytes } from './log/checkpoint.js';
export type { SigningOptions } from './log/checkpointOptions.js';
export type { CheckpointEvery } from './log/checkpointSchedule.js';
export { EventLog } from './log/EventLog.js';
export type {
  AppendOptions,
  EventStore,
  LiveState,
  LogHead,
  Place,
  ReadOptions,
  StoreClock,
} from './log/EventStore.js';
export {
  type NewEvent,
  type PlanflowEventMap,
  type PlanflowEventType,
  SCHEMA_VERSION,
  type StoredEvent,
  streams,
} from './log/events.js';
export { entryHash, GENESIS_HASH, type HashedFields } from './log/hashChain.js';
export type {
  InstanceLeases,
  LeaseGrant,
  LeaseHolder,
  LeaseRequest,
} from './log/InstanceLeases.js';
export { isLeaseStale } from './log/isLeaseStale.js';
export { isWaiting, LiveModel } from './log/LiveModel.js';
export { MemoryProjection } from './log/MemoryProjection.js';
export { memoryLeases } from './log/memoryLeases.js';
export { type MemoryStoreOptions, memoryStore } from './log/memoryStore.js';
export {
  isLive,
  type OccurrenceRecord,
  type ProjectionChanges,
  type ProjectionSource,
  projectEntries,
} from './log/projection.js';
export { readAllPages } from './log/readAllPages.js';
export { readArchive } from './log/readArchive.js';
export type { RetentionEvery, RetentionOptions } from './log/retentionOptions.js';
export type { SegmentSource } from './log/SegmentReader.js';
export { type KeyInput, keyIdOf } from './log/signingKey.js';
export { verifyArchive } from './log/verifyArchive.js';
export { type VerifyProblem, type VerifyResult, verifyChain } from './log/verifyChain.js';
export {
  type CheckpointEvidence,
  type MirroredCheckpoint,
  type VerifyOptions,
  verifyCheckpoints,
} from './log/verifyCheckpoints.js';
export { CalendarOccupancy, occupancyOf } from './planning/CalendarOccupancy.js';
// Planning: the seed's collaborators (ports and default implementations)
export {
  createCalendarPlanner,
  DefaultCalendarPlanner,
} from './planning/DefaultCalendarPlanner.js';
export {
  createRecoveryService,
  DEFAULT_GRACE_MS,
  DefaultRecoveryService,
  type RecoveryServiceOptions,
} from './planning/DefaultRecoveryService.js';
export {
  createTaskScheduler,
  DefaultTaskScheduler,
  type FollowUpOptions,
  type TaskSchedulerOptions,
} from './planning/DefaultTaskScheduler.js';
export type {
  CalendarPlanner,
  Occupancy,
  Placement,
  PlanningContext,
  RecoveryInput,
  RecoveryService,
  SlotSearchOptions,
  TaskScheduler,
} from './planning/ports.js';
export { retryDelayMs } from './planning/retryDelay.js';
// The scheduler
export type { BackfillResult } from './scheduler/commands/backfill.js';
export { createScheduler } from './scheduler/createScheduler.js';
export type { Handler, HandlerContext, Handlers } from './scheduler/handlers.js';
export { DEFAULT_LEASE_TTL_MS } from './scheduler/SchedulerLease.js';
export { type ScheduleResult, SmartScheduler } from './scheduler/SmartScheduler.js';
export type { InspectOption, SchedulerOptions } from './scheduler/schedulerOptions.js';
export { WRITE_RETRY_INITIAL_MS, WRITE_RETRY_MAX_MS } from './scheduler/WriteFaults.js';
// Time
export type { Clock } from './time/Clock.js';
export { systemClock } from './time/systemClock.js';
export { type TimerHandle, TimerQueue } from './time/TimerQueue.js';
export type { ClockJump, TimerQueueOptions } from './time/timerQueueOptions.js';
