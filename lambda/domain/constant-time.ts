import { timingSafeEqual } from 'node:crypto';

/** Compares secrets (signatures, lock IDs) without leaking through timing how much matched. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
