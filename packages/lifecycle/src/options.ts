import { LifecycleError } from './errors.js';

/** Validates a numeric option; throws ORG_LIFECYCLE_INVALID_OPTION naming the option. */
export function checkNumber(
  name: string,
  value: unknown,
  {
    min = 0,
    max = Number.POSITIVE_INFINITY,
    integer = false,
  }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (integer && Number.isFinite(value) && !Number.isInteger(value))
  ) {
    throw new LifecycleError(
      'ORG_LIFECYCLE_INVALID_OPTION',
      `${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`,
      { details: { option: name, value } },
    );
  }
  return value;
}
