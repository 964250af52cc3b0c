import assert from 'node:assert/strict';
import { test } from 'node:test';
import { absoluteForm } from './target.js';

test('absolute-form targets give their authority and origin form', () => {
  assert.deepEqual(absoluteForm('http://mail.example.org/jmap?x=1'), { authority: 'mail.example.org', originForm: '/jmap?x=1' });
  assert.deepEqual(absoluteForm('HTTPS://Mail.Example.org:8443'), { authority: 'Mail.Example.org:8443', originForm: '/' });
  assert.deepEqual(absoluteForm('http://[::1]:8080?q'), { authority: '[::1]:8080', originForm: '/?q' });
  assert.deepEqual(absoluteForm('http://user@host/x'), { authority: 'user@host', originForm: '/x' }, 'userinfo stays in the authority, where the Host check refuses it');
});

test('other forms are not absolute', () => {
  for (const t of ['/x', '*', 'example.org:443', 'ftp://a/x', 'http:/x', '//a/x', 'http://a/x#frag']) assert.equal(absoluteForm(t), undefined, t);
});
