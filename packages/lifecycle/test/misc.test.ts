import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.js';
import { LIFECYCLE_ERROR_CODES, OrgError } from '../src/errors.js';
import { ListenerGroup } from '../src/listeners.js';
import { report } from '../src/report.js';
import { undocumentedCodes } from '../src/testing.js';

describe('ListenerGroup', () => {
  it('removes exactly the listeners it added, per target or all', () => {
    const a = new EventEmitter();
    const b = new EventEmitter();
    const foreign = () => {};
    a.on('error', foreign);
    const group = new ListenerGroup();
    for (let i = 0; i < 50; i++) group.on(a, 'error', () => {}).on(b, 'end', () => {});
    expect(a.listenerCount('error')).toBe(51);
    group.removeFrom(b);
    expect(b.listenerCount('end')).toBe(0);
    expect(group.size).toBe(50);
    group.removeAll();
    expect(a.listeners('error')).toEqual([foreign]);
    expect(group.size).toBe(0);
  });
});

describe('Backoff', () => {
  it('grows exponentially to its cap, with jitter, and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0, random: () => 0.5 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    const j = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 1 });
    expect(j.next()).toBe(500);
  });
});

describe('errors and reporting', () => {
  it('OrgError carries code, cause and details', () => {
    const cause = new Error('root');
    const e = new OrgError('ORG_X', 'msg', { cause, details: { a: 1 } });
    expect(e).toMatchObject({ code: 'ORG_X', cause, details: { a: 1 }, name: 'OrgError' });
  });

  it('report() survives a throwing reporter', () => {
    expect(() =>
      report(
        () => {
          throw new Error('bad reporter');
        },
        new Error('x'),
        { source: 't' },
      ),
    ).not.toThrow();
  });

  it('every error code is documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(LIFECYCLE_ERROR_CODES))).toEqual([]);
  });
});

describe('the leak helpers can fail', () => {
  it('isCollected is false for a retained object, and resourcesAddedSince sees a live timer', async () => {
    const { activeResources, isCollected, resourcesAddedSince } = await import('../src/testing.js');
    const retained: object[] = [];
    const make = () => {
      const value = {};
      retained.push(value);
      return new WeakRef(value);
    };
    expect(await isCollected(make(), 3)).toBe(false);
    const before = activeResources();
    const timer = setInterval(() => {}, 1000);
    expect(resourcesAddedSince(before)).toEqual({ Timeout: 1 });
    clearInterval(timer);
    expect(resourcesAddedSince(before)).toEqual({});
    expect(retained).toHaveLength(1);
  });
});
