import type { Pool } from 'undici';
import type { ProxyTarget } from '../../config/routes.js';

type PoolConstructor = typeof Pool;
/** undici, loaded by `prepare` once a config has proxy routes: most configs never need it. */
let PoolClass: PoolConstructor | undefined;

/** Idle keep-alive connections to an upstream are kept this long (nginx keeps its own 60 s). */
const KEEP_ALIVE_MS = 30_000;

/**
 * Keep-alive connection pools to the upstreams, one per distinct (origin, trusted CA, connect
 * timeout), created on first use. A reload keeps the pools its routes still name, so their
 * idle connections survive, and closes the others once their requests finish.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  /** The pool each compiled target last resolved to: the per-request lookup builds no key. */
  private readonly byTarget = new WeakMap<ProxyTarget, Pool>();

  /** Loads the HTTP client before a config whose routes proxy is applied (`for` is synchronous). */
  static async prepare(targets: readonly ProxyTarget[]): Promise<void> {
    if (targets.length > 0 && PoolClass === undefined) PoolClass = (await import('undici')).Pool;
  }

  for(target: ProxyTarget): Pool {
    const known = this.byTarget.get(target);
    if (known !== undefined && !known.closed && !known.destroyed) return known;
    const key = poolKey(target);
    let pool = this.pools.get(key);
    if (!pool) {
      if (this.closed) throw new Error('the upstream pools are closed');
      if (PoolClass === undefined) throw new Error('UpstreamPools.prepare was not awaited for this config');
      pool = new PoolClass(target.upstream.origin, {
        connect: { timeout: target.connectTimeoutMs, ...(target.ca !== undefined ? { ca: target.ca } : {}) },
        keepAliveTimeout: KEEP_ALIVE_MS,
        keepAliveMaxTimeout: KEEP_ALIVE_MS,
        // Parapet passes requests on one at a time per connection: a pipelined request stuck
        // behind a slow one would time out for nothing.
        pipelining: 1,
      });
      this.pools.set(key, pool);
    }
    this.byTarget.set(target, pool);
    return pool;
  }

  /** After a reload: closes (gracefully) the pools no route in `targets` uses any more. */
  retain(targets: readonly ProxyTarget[]): void {
    const wanted = new Set(targets.map(poolKey));
    for (const [key, pool] of this.pools) {
      if (wanted.has(key)) continue;
      this.pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  /** Closes every pool, cutting whatever is still in flight after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      pools.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => undefined), graceMs);
        await pool.close().catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }
}

function poolKey(t: ProxyTarget): string {
  return `${t.upstream.origin}\n${t.connectTimeoutMs}\n${t.ca ?? ''}`;
}
