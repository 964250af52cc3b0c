import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAuthorization, type Credentials } from './basic.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('parseAuthorization', () => {
  const cases: { name: string; header: string | undefined; expected: Credentials | undefined }[] = [
    { name: 'basic', header: `Basic ${b64('admin:secret')}`, expected: { kind: 'basic', user: 'admin', password: 'secret' } },
    { name: 'RFC 7617 example', header: 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', expected: { kind: 'basic', user: 'Aladdin', password: 'open sesame' } },
    { name: 'lowercase scheme', header: `basic ${b64('admin:secret')}`, expected: { kind: 'basic', user: 'admin', password: 'secret' } },
    { name: 'uppercase scheme', header: `BASIC ${b64('admin:secret')}`, expected: { kind: 'basic', user: 'admin', password: 'secret' } },
    { name: 'extra spaces around and between', header: `  Basic    ${b64('admin:secret')}  `, expected: { kind: 'basic', user: 'admin', password: 'secret' } },
    { name: 'tab as separator', header: `Basic\t${b64('admin:secret')}`, expected: { kind: 'basic', user: 'admin', password: 'secret' } },
    { name: 'password with colons', header: `Basic ${b64('admin:a:b::c')}`, expected: { kind: 'basic', user: 'admin', password: 'a:b::c' } },
    { name: 'empty password', header: `Basic ${b64('admin:')}`, expected: { kind: 'basic', user: 'admin', password: '' } },
    { name: 'unicode user and password (RFC 7617 §2.1 test)', header: 'Basic dGVzdDoxMjPCow==', expected: { kind: 'basic', user: 'test', password: '123£' } },
    { name: 'unicode everywhere', header: `Basic ${b64('jürgen:пароль🔑')}`, expected: { kind: 'basic', user: 'jürgen', password: 'пароль🔑' } },
    { name: 'bearer', header: 'Bearer abc.DEF-_~+/', expected: { kind: 'bearer', token: 'abc.DEF-_~+/' } },
    { name: 'bearer with padding', header: 'Bearer mF_9.B5f-4.1JqM==', expected: { kind: 'bearer', token: 'mF_9.B5f-4.1JqM==' } },
    { name: 'lowercase bearer', header: 'bearer pk_0123456789abcdef_x', expected: { kind: 'bearer', token: 'pk_0123456789abcdef_x' } },
    { name: 'bearer with extra spaces', header: ' Bearer   tok ', expected: { kind: 'bearer', token: 'tok' } },

    { name: 'missing header', header: undefined, expected: undefined },
    { name: 'empty header', header: '', expected: undefined },
    { name: 'scheme only', header: 'Basic', expected: undefined },
    { name: 'scheme and spaces only', header: 'Bearer   ', expected: undefined },
    { name: 'unknown scheme', header: `Digest ${b64('admin:secret')}`, expected: undefined },
    { name: 'scheme as a prefix of another word', header: `Basically ${b64('admin:secret')}`, expected: undefined },
    { name: 'missing colon', header: `Basic ${b64('adminsecret')}`, expected: undefined },
    { name: 'empty user', header: `Basic ${b64(':secret')}`, expected: undefined },
    { name: 'base64 with a stray character', header: `Basic ${b64('admin:secret')}!`, expected: undefined },
    { name: 'base64 with a character Buffer would skip', header: 'Basic YWRt*aW46c2VjcmV0', expected: undefined },
    { name: 'base64 with wrong length', header: 'Basic YWRtaW46c2VjcmV0M', expected: undefined },
    { name: 'base64 with misplaced padding', header: 'Basic YW=RtaW46c2VjcmV0', expected: undefined },
    { name: 'base64url instead of base64', header: `Basic ${Buffer.from('a>?:b').toString('base64url')}`, expected: undefined },
    { name: 'decodes to invalid UTF-8', header: `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, expected: undefined },
    { name: 'control character in the password', header: `Basic ${b64('admin:se\ncret')}`, expected: undefined },
    { name: 'control character in the user', header: `Basic ${b64('ad\x00min:secret')}`, expected: undefined },
    { name: 'two credentials', header: `Basic ${b64('a:b')} ${b64('c:d')}`, expected: undefined },
    { name: 'bearer with a space inside', header: 'Bearer abc def', expected: undefined },
    { name: 'bearer with characters outside b64token', header: 'Bearer abc,def', expected: undefined },
    { name: 'bearer with padding in the middle', header: 'Bearer ab=c', expected: undefined },
    { name: 'no space after the scheme', header: `Basic:${b64('admin:secret')}`, expected: undefined },
  ];
  for (const { name, header, expected } of cases) {
    test(name, () => assert.deepEqual(parseAuthorization(header), expected));
  }
});
