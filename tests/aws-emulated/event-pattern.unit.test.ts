import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesPattern } from '../../apps/aws-emulated/src/event-pattern.js';

/** Examples from the EventBridge user guide ("Amazon EventBridge event patterns", "Content filtering"). */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated', 'c-count': 5 },
};

describe('EventBridge event patterns (stand-in)', () => {
  it('matches a field against a list of values (OR within the list)', () => {
    assert.equal(matchesPattern({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event), true);
    assert.equal(matchesPattern({ source: ['aws.s3'] }, ec2Event), false);
  });

  it('requires every field of the pattern (AND across fields), nested under detail', () => {
    assert.equal(matchesPattern({ source: ['aws.ec2'], detail: { state: ['terminated'] } }, ec2Event), true);
    assert.equal(matchesPattern({ source: ['aws.ec2'], detail: { state: ['running'] } }, ec2Event), false);
    assert.equal(matchesPattern({ detail: { missing: ['x'] } }, ec2Event), false);
  });

  it('matches prefix, suffix, anything-but, exists and numeric ranges', () => {
    assert.equal(matchesPattern({ time: [{ prefix: '2017-12-22' }] }, ec2Event), true);
    assert.equal(matchesPattern({ 'detail-type': [{ suffix: 'Notification' }] }, ec2Event), true);
    assert.equal(matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event), true);
    assert.equal(
      matchesPattern({ detail: { state: [{ 'anything-but': ['terminated', 'stopped'] }] } }, ec2Event),
      false,
    );
    assert.equal(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, ec2Event), true);
    assert.equal(matchesPattern({ detail: { 'd-count': [{ exists: false }] } }, ec2Event), true);
    assert.equal(matchesPattern({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, ec2Event), true);
    assert.equal(matchesPattern({ detail: { 'c-count': [{ numeric: ['<', 5] }] } }, ec2Event), false);
  });

  it('matches an array in the event when any of its elements matches', () => {
    assert.equal(matchesPattern({ resources: [{ prefix: 'arn:aws:ec2:' }] }, ec2Event), true);
    assert.equal(matchesPattern({ resources: ['arn:aws:s3:::bucket'] }, ec2Event), false);
  });

  it('is exact: values must be equal, not merely alike', () => {
    assert.equal(matchesPattern({ source: ['AWS.EC2'] }, ec2Event), false);
    assert.equal(matchesPattern({ detail: { 'c-count': ['5'] } }, ec2Event), false);
  });

  it('refuses an operator it does not implement instead of matching wrongly', () => {
    assert.throws(() => matchesPattern({ source: [{ wildcard: 'aws.*' }] }, ec2Event), /unsupported operator wildcard/);
  });
});
