import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPublicAddress } from '../../packages/gateway/src/webhooks/address-check.js';
import { signWebhook, verifyWebhook } from '../../packages/gateway/src/webhooks/signature.js';

describe('webhook addresses', () => {
  it('refuses loopback, private, link-local, CGNAT and IPv4-mapped private addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.10',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      'not-an-ip',
    ]) {
      assert.equal(isPublicAddress(address), false, address);
    }
  });
  it('accepts public addresses', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])
      assert.equal(isPublicAddress(address), true, address);
  });
});

describe('webhook signatures', () => {
  it('verify over the exact body and refuse old timestamps', () => {
    const body = '{"type":"job.completed"}';
    const signature = signWebhook('whsec_x', 1_700_000_000, body);
    assert.ok(verifyWebhook('whsec_x', { timestamp: '1700000000', signature }, body, 1_700_000_100));
    assert.ok(!verifyWebhook('whsec_x', { timestamp: '1700000000', signature }, body, 1_700_000_400), 'too old');
    assert.ok(!verifyWebhook('whsec_y', { timestamp: '1700000000', signature }, body, 1_700_000_100), 'other secret');
  });
});
