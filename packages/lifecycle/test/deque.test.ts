import { describe, expect, it } from 'vitest';
import { Deque } from '../src/deque.js';

describe('Deque', () => {
  it('behaves like an array used at both ends, across growth and wrap-around', () => {
    const d = new Deque<number>(4);
    const model: number[] = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const r = rand();
      if (r < 0.4) {
        d.pushBack(i);
        model.push(i);
      } else if (r < 0.6) {
        d.pushFront(i);
        model.unshift(i);
      } else {
        expect(d.popFront()).toBe(model.shift());
      }
      expect(d.size).toBe(model.length);
      expect(d.peekFront()).toBe(model[0]);
    }
    expect([...d]).toEqual(model);
    d.clear();
    expect(d.size).toBe(0);
    expect(d.popFront()).toBeUndefined();
  });
});
