import type { Task } from './types.js';

/**
 * True when two definitions of a task describe the same schedule and behaviour. `createdAt`
 * is ignored, so an app that defines its tasks at every start-up does not rewrite them, and
 * so is `paused`: it is the task's state, changed only by its own facts.
 */
export function areSameDefinition(a: Task, b: Task): boolean {
  return canonical(definitionOf(a)) === canonical(definitionOf(b));
}

/** The task without what is not its definition. */
function definitionOf(task: Task): Task {
  const { paused: _paused, ...rest } = task;
  return { ...rest, createdAt: '' };
}

/** JSON with object keys sorted, so key order does not make two equal values differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
