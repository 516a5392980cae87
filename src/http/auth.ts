import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '@azure/functions';

/**
 * Compares `Authorization: Bearer <secret>` in constant time. Hashing both sides first
 * makes the comparison length-independent too, so the secret's length does not leak.
 */
export function hasBearerSecret(request: HttpRequest, secrets: string[]): boolean {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const presented = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  // Every secret is compared, so timing does not tell which one (if any) matched.
  let ok = false;
  for (const secret of secrets) ok = timingSafeEqual(presented, createHash('sha256').update(secret).digest()) || ok;
  return ok && match !== null;
}
