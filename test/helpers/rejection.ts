import { expect } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';

/**
 * Runs `fn`, expects it to throw a ValidationError with `code` whose `field` is `field` and
 * whose message names that field; returns the error for further checks.
 */
export function rejection(fn: () => unknown, code: string, field: string): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.code).toBe(code);
  expect(error.field).toBe(field);
  expect(error.message).toContain(field);
  return error;
}
