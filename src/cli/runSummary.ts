import type { StoredEvent } from '../log/events.js';
import { formatDuration } from './parse/duration.js';

/** Counts of what happened during one `planflow run`, from the events it appended. */
export class RunSummary {
  triggered = 0;
  completed = 0;
  failed = 0;
  missed = 0;

  /** Counts one appended event. */
  add(event: StoredEvent): void {
    if (event.type === 'occurrence.triggered') this.triggered++;
    else if (event.type === 'occurrence.completed') this.completed++;
    else if (event.type === 'occurrence.failed') this.failed++;
    else if (event.type === 'occurrence.missed') this.missed++;
  }

  /** `Stopped after 1.2s: 3 run(s), 2 ok, 1 failed, 0 missed; 1 pending.` */
  text(elapsedMs: number, pending: number): string {
    return `Stopped after ${formatDuration(elapsedMs)}: ${this.triggered} run(s), ${this.completed} ok, ${this.failed} failed, ${this.missed} missed; ${pending} pending.\n`;
  }
}
