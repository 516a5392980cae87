import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '@azure/functions';

/**
 * Compares `Authorization: Bearer <secret>` in constant time. Hashing both sides first
 * makes the comparison length-independent too, so the secret's length does not leak.
 */
export function hasBearerSecret(request: HttpRequest, secret: string): boolean {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const presented = createHash('sha256').update(match?.[1] ?? '').digest();
  const expected = createHash('sha256').update(secret).digest();
  return timingSafeEqual(presented, expected) && match !== null;
}
