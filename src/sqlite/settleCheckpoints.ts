import { renameSync } from 'node:fs';
import { prepareCheckpointTable } from './checkpointTable.js';
import { headFilePath, readHeadFile } from './headFile.js';
import { openLogDatabase } from './openLogDatabase.js';
import { liveStartReader } from './segmentTable.js';

/**
 * The last step of a repair: the entries left are the log from now on, so the checkpoints
 * that contradict them — naming entries that are gone, or with another hash — are set
 * aside: deleted from the table (the backup keeps them) and a contradicting head file moved
 * next to the backup as `<backup>.head`. Without this a store would refuse the repaired log
 * for the very loss the repair accepted. Entries are never deleted here: checkpoints are
 * only trusted with the public key, which a repair does not have, so a planted checkpoint
 * must not be able to make a repair throw real entries away.
 * @returns What was set aside, one sentence each (empty when nothing contradicted the log).
 */
export function settleCheckpoints(component: string, path: string, backupPath: string): string[] {
  const log = openLogDatabase(path, { component, synchronous: 'FULL', readOnly: false });
  const problems: string[] = [];
  try {
    // Checkpoints of archived entries stay: their entries are in the segments, not the table.
    const start = liveStartReader(log.db)();
    const dropped = log.db
      .prepare(
        'DELETE FROM checkpoints WHERE seq > ? AND hash IS NOT (SELECT hash FROM events WHERE events.seq = checkpoints.seq) RETURNING seq',
      )
      .pluck()
      .all(start.seq) as number[];
    if (dropped.length > 0) {
      problems.push(
        `${dropped.length} signed checkpoint(s) named entries the log no longer holds as signed (#${dropped.sort((a, b) => a - b).join(', #')}); they were deleted from the log and remain in the backup`,
      );
    }
    const mirror = readHeadFile(path);
    if (mirror === undefined) return problems;
    const { hashAt } = prepareCheckpointTable(log.db);
    const contradicts =
      'damaged' in mirror || hashAt(mirror.checkpoint.seq) !== mirror.checkpoint.hash;
    if (!contradicts) return problems;
    const aside = headFilePath(backupPath);
    renameSync(mirror.where, aside);
    problems.push(
      'damaged' in mirror
        ? `the head file ${mirror.where} was not a checkpoint (${mirror.damaged}); it was moved to ${aside}`
        : `the head file named entry #${mirror.checkpoint.seq}, which the log no longer holds as signed; it was moved to ${aside}`,
    );
    return problems;
  } finally {
    log.close();
  }
}
