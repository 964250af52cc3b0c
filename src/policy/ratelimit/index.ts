// Request rate limits: a counter interface (in memory here; a shared backend can implement it
// for several instances) and the 429 answer's headers.
import type { Rate } from '../../config/values.js';

export interface RateLimitSettings {
  /** Per client IP, for requests without an authenticated account. */
  readonly anonymous: Rate;
  /** Per authenticated account. */
  readonly account: Rate;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Milliseconds until the current window ends. */
  readonly resetMs: number;
}

export interface RateCounter {
  /** Counts one request against `key`; true while within `rate`. Allocation-free: it runs per request. */
  hit(key: string, rate: Rate, now: number): boolean;
  /** Where `key` stands, without counting: for the refusal's headers. */
  status(key: string, rate: Rate, now: number): RateDecision;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed windows per key, synchronous so the request path awaits nothing. Windows that
 * ended are swept on a timer, so memory follows the number of recently active clients.
 */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;
  private longestPeriodMs = 60_000;

  constructor(sweepEveryMs = 10_000) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), sweepEveryMs);
    this.sweeper.unref();
  }

  hit(key: string, rate: Rate, now: number): boolean {
    if (rate.periodMs > this.longestPeriodMs) this.longestPeriodMs = rate.periodMs;
    const w = this.windows.get(key);
    if (w === undefined) {
      this.windows.set(key, { start: now, count: 1 });
      return 1 <= rate.requests;
    }
    if (now - w.start >= rate.periodMs) {
      w.start = now;
      w.count = 0;
    }
    return ++w.count <= rate.requests;
  }

  status(key: string, rate: Rate, now: number): RateDecision {
    const w = this.windows.get(key);
    if (w === undefined || now - w.start >= rate.periodMs) return { allowed: true, remaining: rate.requests, resetMs: rate.periodMs };
    return { allowed: w.count <= rate.requests, remaining: Math.max(0, rate.requests - w.count), resetMs: w.start + rate.periodMs - now };
  }

  get size(): number {
    return this.windows.size;
  }

  sweep(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.longestPeriodMs) this.windows.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/**
 * The 429 answer's headers: `Retry-After` (RFC 9110) and the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers), naming the policy that was exceeded.
 */
export function rateLimitHeaders(policy: 'anonymous' | 'account', rate: Rate, d: RateDecision): string[] {
  const retryAfter = String(Math.max(1, Math.ceil(d.resetMs / 1000)));
  return [
    'retry-after', retryAfter,
    'ratelimit-policy', `"${policy}";q=${rate.requests};w=${Math.ceil(rate.periodMs / 1000)}`,
    'ratelimit', `"${policy}";r=${d.remaining};t=${retryAfter}`,
  ];
}
