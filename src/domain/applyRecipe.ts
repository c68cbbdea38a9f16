import { ValidationError } from './errors.js';
import { describeValue } from './validationFailure.js';

/**
 * Runs an immer-style recipe over a deep copy of `current`: the recipe changes the draft in
 * place, or returns the value it should become. The copy is a `structuredClone` — domain
 * values are plain JSON, and the result is validated and frozen afresh by the caller — so
 * the caller's value is never touched, whatever the recipe does.
 * @throws ValidationError (`planflow:invalid-input`) when the recipe is asynchronous or
 * returns something that is not an object; whatever the recipe itself throws.
 */
export function applyRecipe<T, R>(
  current: T,
  recipe: (draft: R) => unknown,
  method: string,
): unknown {
  const draft = structuredClone(current) as unknown as R;
  const returned = recipe(draft);
  if (returned === undefined) return draft;
  if (typeof (returned as { then?: unknown } | null)?.then === 'function') {
    throw new ValidationError(
      'planflow:invalid-input',
      'recipe',
      `SmartScheduler.${method}: the recipe must change the draft synchronously, but it returned a promise; make it a plain function (nothing was changed)`,
    );
  }
  if (typeof returned !== 'object' || returned === null || Array.isArray(returned)) {
    throw new ValidationError(
      'planflow:invalid-input',
      'recipe',
      `SmartScheduler.${method}: the recipe must change the draft in place or return the new value as an object, got ${describeValue(returned)} (nothing was changed)`,
    );
  }
  return returned;
}
