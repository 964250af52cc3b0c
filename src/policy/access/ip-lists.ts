// `server.blocked-ip.<ip-or-cidr>` and `server.allowed-ip.<ip-or-cidr>`, as Stalwart keeps them.
import { IpSet, type Cidr } from '../../net/ip.js';

export interface IpListSettings {
  readonly blocked: readonly Cidr[];
  readonly allowed: readonly Cidr[];
}

export const enum IpStanding {
  Normal = 0,
  /** Answered 403 before any other work. */
  Blocked = 1,
  /** Exempt from bans and rate limits. */
  Allowed = 2,
}

export interface CompiledIpLists {
  standing(ip: string): IpStanding;
}

export function compileIpLists(s: IpListSettings): CompiledIpLists {
  const blocked = new IpSet(s.blocked);
  const allowed = new IpSet(s.allowed);
  if (blocked.size === 0 && allowed.size === 0) return { standing: () => IpStanding.Normal };
  // An address on both lists is allowed: the allow list is the operator's explicit exception.
  return { standing: (ip) => (allowed.has(ip) ? IpStanding.Allowed : blocked.has(ip) ? IpStanding.Blocked : IpStanding.Normal) };
}
