import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, formatMoneyChange } from '../../src/core/format';

describe('money', () => {
  it('shows amounts under a cent with four decimals, others in cents', () => {
    expect(formatMoney(0.0043, 'USD')).toBe('0.0043 USD');
    expect(formatMoney(1.5, 'EUR')).toBe('1.50 EUR');
    expect(formatMoney(0, 'USD')).toBe('0.00 USD');
    expect(formatMoney(-0.5, 'USD')).toBe('−0.50 USD');
  });

  it('shows a change at one precision, with a delta that is the difference of the figures shown', () => {
    // The card used to say "0.01 USD → 0.0043 USD (−0.0099 USD)".
    expect(formatMoneyChange(0.0142, 0.0043, 'USD')).toBe('0.0142 USD → 0.0043 USD (−0.0099 USD)');
    expect(formatMoneyChange(1.234, 1.567, 'USD')).toBe('1.23 USD → 1.57 USD (+0.34 USD)');
    // A change under a cent between two larger figures is shown rather than rounded away.
    expect(formatMoneyChange(1.2341, 1.2349, 'USD')).toBe('1.2341 USD → 1.2349 USD (+0.0008 USD)');
    expect(formatMoneyChange(2, 2, 'USD')).toBe('2.00 USD → 2.00 USD (±0.00 USD)');
  });

  it('keeps before, after and delta consistent for any amounts (property)', () => {
    const amount = fc.double({ min: 0, max: 500, noNaN: true });
    fc.assert(
      fc.property(amount, amount, (before, after) => {
        const m = /^(\d+\.(\d+)) USD → (\d+\.(\d+)) USD \(([+−±])(\d+\.(\d+)) USD\)$/.exec(formatMoneyChange(before, after, 'USD'));
        expect(m).not.toBeNull();
        const [, b, bd, a, ad, sign, d, dd] = m!;
        expect(new Set([bd!.length, ad!.length, dd!.length]).size).toBe(1);
        const units = (s: string) => Number(s.replace('.', ''));
        const delta = (sign === '−' ? -1 : 1) * units(d!);
        expect(units(a!) - units(b!)).toBe(delta);
        expect(sign === '±').toBe(delta === 0);
      }),
      { numRuns: 5_000, seed: 23 },
    );
  });
});
