// The README's ElasticsearchTransportStats table is what stats() returns: no field missing, none extra.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ElasticsearchTransport } from '../src/index.js';

/** The field names of the table that follows `heading` in the README (first column, in backticks). */
function tableFields(readme: string, heading: string): string[] {
  const start = readme.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const fields: string[] = [];
  let parent = '';
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const cell = line.split('|')[1] ?? '';
    for (const [, name] of cell.matchAll(/`([^`]+)`/g)) {
      // `dropped.overflow` / `.expired`: a nested field, and its siblings written with a leading dot.
      if (name!.startsWith('.')) fields.push(`${parent}${name}`);
      else {
        fields.push(name!);
        parent = name!.includes('.') ? name!.slice(0, name!.indexOf('.')) : '';
      }
    }
  }
  return fields;
}

function statsFields(value: Record<string, unknown>): string[] {
  return Object.entries(value).flatMap(([key, member]) =>
    member !== null && typeof member === 'object' && key === 'dropped'
      ? Object.keys(member).map((inner) => `${key}.${inner}`)
      : [key],
  );
}

it('documents exactly the fields ElasticsearchTransport.stats() keeps', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const transport = new ElasticsearchTransport({ node: 'http://127.0.0.1:9', onError: () => {} });
  const actual = statsFields(transport.stats() as unknown as Record<string, unknown>).sort();
  await transport.close({ timeoutMs: 0 });
  expect(tableFields(readme, '`ElasticsearchTransportStats` (`logger.stats().elasticsearch`').sort()).toEqual(
    actual,
  );
});
