// Failed logins per client address, against Stalwart's `server.auto-ban.auth.rate`
// (e.g. `100/1d`): the failure that goes past the rate bans the address for a while.
import { BlockList, isIP } from 'node:net';

export interface AuthFailureRate {
  /** Failures allowed within one period; the next one bans. */
  readonly requests: number;
  readonly periodMs: number;
}

// Bounds the memory an attacker with many addresses can make us spend. Past it, expired
// windows go first, then the oldest: losing a count costs less than running out of memory.
const MAX_TRACKED_ADDRESSES = 100_000;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8 and ::1, also in IPv4-mapped form (`::ffff:127.0.0.1`). */
export function isLoopback(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && LOOPBACK.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

export class AuthFailureTracker {
  #rate!: AuthFailureRate;
  #banMs!: number;
  readonly #windows = new Map<string, { start: number; failures: number }>();
  readonly #bannedUntil = new Map<string, number>();

  constructor(rate: AuthFailureRate, banMs: number) {
    this.configure(rate, banMs);
  }

  /**
   * Takes a reloaded rate and ban duration. Counts and bans in force are kept: a reload must
   * not give a guesser a fresh start. A ban already running keeps the end it was given.
   */
  configure(rate: AuthFailureRate, banMs: number): void {
    if (!Number.isInteger(rate.requests) || rate.requests < 1) throw new RangeError(`the auth failure rate must allow at least 1 failure, got ${rate.requests}`);
    if (!(rate.periodMs > 0) || !Number.isFinite(rate.periodMs)) throw new RangeError(`the auth failure period must be a positive number of milliseconds, got ${rate.periodMs}`);
    if (!(banMs > 0) || !Number.isFinite(banMs)) throw new RangeError(`the ban duration must be a positive number of milliseconds, got ${banMs}`);
    this.#rate = { requests: rate.requests, periodMs: rate.periodMs };
    this.#banMs = banMs;
  }

  // The administrator on the machine itself must always be able to get in, even while
  // someone guesses passwords through a local reverse proxy.
  recordFailure(ip: string, now: number = Date.now()): { banned: boolean } {
    if (isLoopback(ip)) return { banned: false };
    const key = addressKey(ip);
    if (this.isBanned(key, now)) return { banned: true };
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#rate.periodMs) {
      window = { start: now, failures: 0 };
      this.#windows.set(key, window);
    }
    window.failures++;
    const banned = window.failures > this.#rate.requests;
    if (banned) {
      this.#windows.delete(key);
      this.#bannedUntil.set(key, now + this.#banMs);
    }
    this.#prune(now);
    return { banned };
  }

  isBanned(ip: string, now: number = Date.now()): boolean {
    if (isLoopback(ip)) return false;
    const key = addressKey(ip);
    const until = this.#bannedUntil.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#bannedUntil.delete(key);
    return false;
  }

  /** Forgets the failures counted so far; a ban in force stays. */
  recordSuccess(ip: string): void {
    this.#windows.delete(addressKey(ip));
  }

  #prune(now: number): void {
    if (this.#windows.size > MAX_TRACKED_ADDRESSES) {
      for (const [key, window] of this.#windows) if (now - window.start >= this.#rate.periodMs) this.#windows.delete(key);
      for (const key of this.#windows.keys()) {
        if (this.#windows.size <= MAX_TRACKED_ADDRESSES) break;
        this.#windows.delete(key);
      }
    }
    if (this.#bannedUntil.size > MAX_TRACKED_ADDRESSES) {
      for (const [key, until] of this.#bannedUntil) if (now >= until) this.#bannedUntil.delete(key);
    }
  }
}

// One client, whichever form its IPv4 address arrives in.
function addressKey(ip: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}
