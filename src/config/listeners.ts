import type { ConfigReader } from './reader.js';
import { formatBind, parseBind, type BindAddress } from './values.js';

export interface ListenerSettings {
  readonly id: string;
  readonly binds: readonly BindAddress[];
  readonly tls: boolean;
  readonly maxConnections: number | undefined;
}

const STALWART_PROTOCOLS = ['smtp', 'lmtp', 'http', 'imap', 'pop3', 'managesieve'];

/** HTTP listeners; listeners of other protocols are Stalwart's business and are skipped. */
export function readListeners(r: ConfigReader): ListenerSettings[] {
  const listeners: ListenerSettings[] = [];
  const boundBy = new Map<string, string>();
  for (const id of r.children('server.listener').sort()) {
    const base = `server.listener.${id}`;
    const protocol = r.string(`${base}.protocol`);
    for (const raw of bindsOf(r, base)) {
      const bind = parseBind(raw);
      if (!bind) continue;
      const key = formatBind(bind);
      const other = boundBy.get(key);
      if (other !== undefined && bind.port !== 0) {
        r.report('CFG_LISTENER_DUPLICATE_BIND', `\`${key}\` is bound by both listener \`${other}\` and listener \`${id}\`; give each its own address or port`, `${base}.bind`);
      }
      boundBy.set(key, id);
    }
    if (protocol === undefined || !STALWART_PROTOCOLS.includes(protocol.toLowerCase())) {
      const hint = protocol?.toLowerCase() === 'jmap' ? ' (`jmap` was removed in Stalwart 0.7: JMAP is served by `http` listeners)' : '';
      r.report(
        'CFG_LISTENER_PROTOCOL',
        protocol === undefined
          ? `listener \`${id}\` has no protocol; expected one of ${STALWART_PROTOCOLS.join(', ')}`
          : `\`${protocol}\` is not a listener protocol${hint}; expected one of ${STALWART_PROTOCOLS.join(', ')}`,
        `${base}.protocol`,
      );
      r.consumePrefix(base);
      continue;
    }
    if (protocol.toLowerCase() !== 'http') {
      r.ignoredSections.add(`${base} (${protocol.toLowerCase()})`);
      r.consumePrefix(base);
      continue;
    }
    listeners.push(readHttpListener(r, id, base));
  }
  return listeners;
}

function bindsOf(r: ConfigReader, base: string): string[] {
  const single = r.flat.get(`${base}.bind`);
  if (single !== undefined) return [single];
  return [...r.flat.entries()].filter(([k]) => k.startsWith(`${base}.bind.`)).map(([, v]) => v);
}

function readHttpListener(r: ConfigReader, id: string, base: string): ListenerSettings {
  const binds: BindAddress[] = [];
  const rawBinds = r.list(`${base}.bind`);
  if (rawBinds.length === 0) r.report('CFG_LISTENER_NO_BIND', `listener \`${id}\` has no \`bind\`; add e.g. \`bind = "[::]:443"\``, `${base}.bind`);
  for (const raw of rawBinds) {
    const b = parseBind(raw);
    if (b) binds.push(b);
    else r.report('CFG_LISTENER_BIND', `\`${raw}\` is not an address and port such as \`0.0.0.0:8080\` or \`[::]:443\``, `${base}.bind`);
  }
  if (r.flat.get(`${base}.tls`) !== undefined) {
    r.raw(`${base}.tls`);
    r.report('CFG_LISTENER_TLS_FLAG', `Stalwart does not read \`tls = true\`; this listener serves plain HTTP. Write \`tls.implicit = true\` for TLS`, `${base}.tls`);
  }
  const tls = r.bool(`${base}.tls.implicit`, false);
  const maxConnections = r.has(`${base}.max-connections`) ? r.integer(`${base}.max-connections`, 0, 1, 10_000_000) : undefined;
  // Stalwart's socket, proxy-protocol and per-listener TLS tuning keys are not Parapet's to apply.
  for (const part of ['socket', 'proxy', 'tls']) {
    if (r.consumePrefix(`${base}.${part}`).length > 0) r.ignoredSections.add(`${base}.${part}`);
  }
  return { id, binds, tls, maxConnections: maxConnections || undefined };
}
