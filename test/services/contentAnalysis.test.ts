import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/services/contentAnalysis';

describe('Slots (LAYER_ANALYSIS_CONCURRENCY)', () => {
  it('lets at most `size` holders in at once, the rest in the order they asked, and a double release frees one slot', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const a = await slots.take();
    const b = await slots.take();
    const c = slots.take().then((r) => (order.push('c'), r));
    const d = slots.take().then((r) => (order.push('d'), r));
    await Promise.resolve();
    expect(order).toEqual([]);
    a();
    a();
    const releaseC = await c;
    expect(order).toEqual(['c']);
    b();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    const e = await slots.take();
    const f = await slots.take();
    let third = false;
    void slots.take().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    e();
    f();
  });
});
