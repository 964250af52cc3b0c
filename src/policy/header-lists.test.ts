import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../config/load.js';
import { isSharedList } from '../net/header-list.js';
import { responseHeaderList } from './decide.js';
import { compilePolicy, Transport, type CompiledPolicy } from './index.js';

function policy(http: string): CompiledPolicy {
  const loaded = loadConfig({ name: 'p.toml', text: `[server.listener.a]\nprotocol = "http"\nbind = "127.0.0.1:0"\n[http]\nhsts = true\nheaders = ["X-Frame-Options: DENY"]\n${http}` });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.diagnostics));
  return compilePolicy(loaded.settings);
}

const TRANSPORTS = [Transport.Plain, Transport.SecureNoHsts, Transport.Secure];

// The lists below are handed to node's writeHead as they are, on every response that carries
// them. A frozen array there costs node:http's _storeHeader a slow generic read per header
// (src/net/header-list.ts), so they must be shared, ordinary arrays.
describe('header lists handed to writeHead', () => {
  test('the policy\'s lists, a cached preflight\'s and the finished lists are shared and not frozen', () => {
    for (const [mode, http] of [['off', ''], ['permissive', 'permissive-cors = true\n']] as const) {
      const p = policy(http);
      const preflight = p.cors.mode === 'off' ? undefined : p.cors.preflight('https://app.example', 'PUT', 'authorization');
      for (const t of TRANSPORTS) {
        const lists = [p.responseHeaders(t, 'https://app.example'), p.baseHeaders[t]];
        if (preflight) lists.push(preflight.sent![t]!);
        lists.push(responseHeaderList(p.responseHeaders(t, undefined), undefined, 'application/json', '{"status":"live"}'));
        for (const list of lists) {
          assert.equal(Object.isFrozen(list), false, `${mode}, transport ${t}: ${list.join(' ')}`);
          assert.ok(isSharedList(list), `${mode}, transport ${t}: ${list.join(' ')}`);
        }
      }
    }
  });

  test('a finished list is made once per shared list, body type and length, and only for shared lists', () => {
    const p = policy('permissive-cors = true\n');
    const base = p.responseHeaders(Transport.Plain, undefined);
    const once = responseHeaderList(base, undefined, 'application/json', '{"a":1}');
    assert.equal(responseHeaderList(base, undefined, 'application/json', '{"b":2}'), once, 'the same length reuses the list');
    assert.deepEqual(once, [...base, 'content-type', 'application/json', 'content-length', '7']);
    assert.notEqual(responseHeaderList(base, undefined, 'application/json', '{"ab":1}'), once);
    // The allowlist's lists depend on the Origin and are made per request: never cached.
    const allow = policy('cors.allowed-origins = ["https://app.example"]\n');
    const perRequest = allow.responseHeaders(Transport.Plain, 'https://app.example');
    assert.equal(isSharedList(perRequest), false);
    const a = responseHeaderList(perRequest, undefined, 'application/json', '{"a":1}');
    assert.notEqual(responseHeaderList(perRequest, undefined, 'application/json', '{"a":1}'), a);
    assert.deepEqual(a, [...perRequest, 'content-type', 'application/json', 'content-length', '7']);
  });
});
