import type { Checkpoint } from './checkpoint.js';
import type { EventStore } from './EventStore.js';
import type { VerifyResult } from './verifyChain.js';
import type { VerifyOptions } from './verifyCheckpoints.js';

/**
 * A store that checks its own log and keeps signed checkpoints of its head when it was
 * given a `signingKey`. Both PlanFlow stores are one; `EventLog.verify` uses `verify` when
 * a store has it.
 */
export interface CheckpointedStore extends EventStore {
  /**
   * Checks the hash chain, then every checkpoint against it (see `verifyCheckpoints`):
   * with `publicKey`, that they are signed by it; with `expectHead`, that the anchored entry
   * is still there. Findings are returned, not thrown; bad options are a `ValidationError`.
   */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /** Every signed checkpoint the log holds, oldest first (none without a signing key). */
  checkpoints(): Promise<readonly Checkpoint[]>;
}
