import { readId } from './validateFields.js';
import type { InputScope } from './validationFailure.js';

/** The scope an argument of a scheduler method is reported in: `SmartScheduler.getTask`. */
export function methodScope(method: string): InputScope {
  return Object.freeze({
    code: 'planflow:invalid-input',
    subject: `SmartScheduler.${method}`,
    path: '',
  });
}

/**
 * An id argument (`getTask(id)`, `cancelOccurrence(id)`): a non-blank string of at most 200
 * characters without control characters or surrounding spaces. Anything else (`null`, a
 * number, a 5 000-deep array that would overflow the stack when turned into text) is refused
 * before it reaches a message, a map lookup or the log.
 * @throws ValidationError (`planflow:invalid-input`) naming the method and the argument.
 * @example
 * scheduler.getTask(parseId(id, 'getTask', 'taskId'));
 */
export function parseId(value: unknown, method: string, field = 'id'): string {
  return readId(value, methodScope(method), field);
}

/** Whether `value` is a valid id (see `readId`), without building an error for one that is not. */
export function isId(value: unknown): value is string {
  try {
    parseId(value, 'isId');
    return true;
  } catch {
    return false;
  }
}
