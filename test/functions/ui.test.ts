/**
 * The dashboard's registration: one anonymous GET route (the page holds no data; the
 * APIs it calls keep their own auth level), whatever API_AUTH_LEVEL is.
 */
import { describe, expect, it } from 'vitest';
import { registeredFunctions } from '../support/functionRegistry';

const functions = registeredFunctions(() => import('../../src/functions/ui.js'), { API_AUTH_LEVEL: 'function' });

describe('dashboard registration', () => {
  it('registers GET /api/ui as anonymous even when the read APIs need a function key', () => {
    expect(functions.map((f) => [f.name, f.trigger])).toEqual([
      ['ui', expect.objectContaining({ type: 'httpTrigger', route: 'ui', methods: ['GET'], authLevel: 'anonymous' })],
    ]);
  });
});
