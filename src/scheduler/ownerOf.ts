import { createHash } from 'node:crypto';

/** An instance's weight for a task: the first 48 bits of SHA-256 over both ids. */
function weight(instanceId: string, taskId: string): number {
  return createHash('sha256')
    .update(instanceId)
    .update('\0')
    .update(taskId)
    .digest()
    .readUIntBE(0, 6);
}

/**
 * Which of `members` (running instance ids) runs `taskId`: rendezvous hashing — every
 * instance weighs each member for the task and the heaviest wins, so all instances that see
 * the same members agree without talking, and when a member joins or leaves only the tasks
 * it wins or held move (about 1/n of them). Ties, which need equal 48-bit weights, go to the
 * smaller id. `undefined` when there are no members.
 */
export function ownerOf(taskId: string, members: readonly string[]): string | undefined {
  let owner: string | undefined;
  let best = -1;
  for (const member of members) {
    const w = weight(member, taskId);
    if (w > best || (w === best && owner !== undefined && member < owner)) {
      owner = member;
      best = w;
    }
  }
  return owner;
}
