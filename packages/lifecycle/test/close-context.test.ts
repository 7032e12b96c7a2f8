import { afterEach, describe, expect, it, vi } from 'vitest';
import { aborted, createCloseContext, isCloseContext } from '../src/close-context.js';
import { activeResources, resourcesAddedSince } from '../src/testing.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('CloseContext', () => {
  it('aborts at its deadline with ORG_LIFECYCLE_CLOSE_TIMEOUT, and says how much time is left', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const ctx = createCloseContext({ timeoutMs: 1000 });
    expect(isCloseContext(ctx)).toBe(true);
    expect(ctx.remainingMs()).toBe(1000);
    expect(ctx.timeoutMs).toBe(1000);
    vi.advanceTimersByTime(400);
    expect(ctx.remainingMs()).toBe(600);
    expect(ctx.signal.aborted).toBe(false);
    vi.advanceTimersByTime(600);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.expired).toBe(true);
    expect(ctx.signal.reason).toMatchObject({ code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT' });
    ctx[Symbol.dispose]();
  });

  it('share() and within() give children a part of what is left; they abort with the parent', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const parent = createCloseContext({ timeoutMs: 1000 });
    const half = parent.share(0.5);
    const short = parent.within(100);
    const long = parent.within(5000);
    expect(half.remainingMs()).toBe(500);
    expect(short.remainingMs()).toBe(100);
    expect(long.remainingMs()).toBe(1000);
    vi.advanceTimersByTime(100);
    expect(short.signal.aborted).toBe(true);
    expect(half.signal.aborted).toBe(false);
    expect(parent.signal.aborted).toBe(false);
    parent.abort(new Error('destroy'));
    expect(half.signal.reason).toEqual(new Error('destroy'));
    expect(long.signal.aborted).toBe(true);
    parent[Symbol.dispose]();
  });

  it('a context made from a context keeps its deadline but aborting it never aborts the caller', () => {
    const caller = createCloseContext({ timeoutMs: 1000 });
    const own = createCloseContext(caller);
    expect(own.remainingMs()).toBeLessThanOrEqual(1000);
    expect(own.remainingMs()).toBeGreaterThan(990);
    own.abort('mine');
    expect(caller.signal.aborted).toBe(false);
    own[Symbol.dispose]();
    caller[Symbol.dispose]();
  });

  it('without a deadline nothing is scheduled; an invalid timeout is a typed error', () => {
    const before = activeResources();
    const ctx = createCloseContext({});
    expect(ctx.remainingMs()).toBe(Number.POSITIVE_INFINITY);
    expect(ctx.expired).toBe(false);
    expect(resourcesAddedSince(before)).toEqual({});
    expect(() => createCloseContext({ timeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_INVALID_OPTION' }),
    );
    expect(() => ctx.share(0)).toThrow(expect.objectContaining({ code: 'ORG_LIFECYCLE_INVALID_OPTION' }));
  });

  it('dispose() clears its timers and its children, and unhooks from the outside signal', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const outside = new AbortController();
    const ctx = createCloseContext({ timeoutMs: 60_000, signal: outside.signal });
    const child = ctx.share(0.5);
    child.within(10_000);
    expect(vi.getTimerCount()).toBe(3);
    ctx[Symbol.dispose]();
    expect(vi.getTimerCount()).toBe(0);
    outside.abort('late');
    expect(ctx.signal.aborted).toBe(false);
    expect(child.signal.aborted).toBe(false);
  });

  it('with real timers the deadline fires and nothing is left behind', async () => {
    const before = activeResources();
    const ctx = createCloseContext({ timeoutMs: 5 });
    await aborted(ctx.signal);
    ctx[Symbol.dispose]();
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('an outside signal that is already aborted gives an aborted context', () => {
    const ctx = createCloseContext({ signal: AbortSignal.abort('gone'), timeoutMs: 1000 });
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe('gone');
  });
});
