// Checks a JSON line against the vendored ecs-logging spec (fixtures/ecs-logging-spec.json, Apache-2.0,
// from github.com/elastic/ecs-logging): required fields, types, top-level dotted fields, key order.
import { readFileSync } from 'node:fs';

interface SpecField {
  type: 'datetime' | 'string' | 'integer' | 'object';
  required: boolean;
  index?: number;
  top_level_field?: boolean;
  sanitization?: { key: { replacements: string[]; substitute: string } };
}
interface Spec {
  fields: Record<string, SpecField>;
}

export const spec = JSON.parse(
  readFileSync(new URL('./fixtures/ecs-logging-spec.json', import.meta.url), 'utf8'),
) as Spec;

/** ISO 8601 in UTC with milliseconds, as Elasticsearch's date type and the spec's examples have it. */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The value at a dotted path, whether the document holds it dotted or nested (undefined when absent). */
function lookup(doc: Record<string, unknown>, path: string): { value: unknown; dotted: boolean } | undefined {
  if (Object.hasOwn(doc, path)) return { value: doc[path], dotted: true };
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return undefined;
  const child = doc[head!];
  if (child === null || typeof child !== 'object' || Array.isArray(child)) return undefined;
  const inner = lookup(child as Record<string, unknown>, rest.join('.'));
  return inner === undefined ? undefined : { value: inner.value, dotted: false };
}

/** The spec's violations by this line (empty when it conforms). */
export function ecsViolations(text: string): string[] {
  const problems: string[] = [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return ['not JSON'];
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return ['not a JSON object'];
  if (text.includes('\n')) problems.push('contains a newline (one entry per line)');
  const keys = Object.keys(doc);
  for (const [name, field] of Object.entries(spec.fields)) {
    const found = lookup(doc, name);
    if (found === undefined) {
      if (field.required) problems.push(`required field ${name} is missing`);
      continue;
    }
    if (field.top_level_field && !found.dotted) problems.push(`${name} must be a top-level dotted key`);
    if (field.top_level_field) {
      // No nested twin either: {"log": {"level": …}} next to "log.level" would be two values.
      const [head, ...rest] = name.split('.');
      const nested = doc[head!];
      if (nested !== null && typeof nested === 'object' && Object.hasOwn(nested, rest.join('.')))
        problems.push(`${name} is also nested`);
    }
    const { value } = found;
    switch (field.type) {
      case 'datetime':
        if (typeof value !== 'string' || !DATETIME.test(value))
          problems.push(`${name} is not an ISO datetime`);
        break;
      case 'string':
        if (typeof value !== 'string') problems.push(`${name} is not a string`);
        break;
      case 'integer':
        if (!Number.isInteger(value)) problems.push(`${name} is not an integer`);
        break;
      case 'object':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          problems.push(`${name} is not an object`);
        } else if (field.sanitization) {
          for (const key of Object.keys(value)) {
            if (field.sanitization.key.replacements.some((c) => key.includes(c)))
              problems.push(`${name} key ${JSON.stringify(key)} is not sanitized`);
          }
        }
        break;
    }
    if (field.index !== undefined && keys[field.index] !== name)
      problems.push(`${name} must be key #${field.index} (found ${JSON.stringify(keys[field.index])})`);
  }
  return problems;
}
