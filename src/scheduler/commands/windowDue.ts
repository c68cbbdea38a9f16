import type { SchedulerTx } from '../SchedulerParts.js';
import type { Claim } from './plan.js';
import { widenWindow } from './widenWindow.js';

/**
 * The live window's timer came: the window is widened and what it took in is armed (what is
 * already due, claimed now). Returns no claims: those of the due ones settle through their
 * occurrences' own effects.
 */
export async function windowDue(tx: SchedulerTx): Promise<Claim[]> {
  await widenWindow(tx, 'all');
  return [];
}
