import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failedRecords, type LambdaSqsRecord } from '../../apps/aws-emulated/src/esm-runner.js';

/** The partial batch response rules of the Lambda developer guide ("Handling errors for an SQS event source"). */
const record = (messageId: string): LambdaSqsRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body: '{}',
  attributes: {},
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:uploads',
  awsRegion: 'eu-west-1',
});
const batch = [record('a'), record('b'), record('c')];
const ids = (records: readonly LambdaSqsRecord[]) => records.map((r) => r.messageId);

describe('event source mapping stand-in: which records stay on the queue', () => {
  it('keeps only the reported failures when the response lists them', () => {
    assert.deepEqual(ids(failedRecords(batch, { result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }, true)), [
      'b',
    ]);
  });

  it('deletes every record when the list is empty, missing or the response is null', () => {
    assert.deepEqual(ids(failedRecords(batch, { result: { batchItemFailures: [] } }, true)), []);
    assert.deepEqual(ids(failedRecords(batch, { result: {} }, true)), []);
    assert.deepEqual(ids(failedRecords(batch, { result: null }, true)), []);
  });

  it('fails the whole batch when an identifier is empty or names no record of the batch', () => {
    assert.deepEqual(ids(failedRecords(batch, { result: { batchItemFailures: [{ itemIdentifier: '' }] } }, true)), [
      'a',
      'b',
      'c',
    ]);
    assert.deepEqual(ids(failedRecords(batch, { result: { batchItemFailures: [{ itemIdentifier: 'zzz' }] } }, true)), [
      'a',
      'b',
      'c',
    ]);
  });

  it('fails the whole batch when the function throws or times out', () => {
    assert.deepEqual(ids(failedRecords(batch, { error: new Error('Task timed out after 4.00 seconds') }, true)), [
      'a',
      'b',
      'c',
    ]);
  });

  it('ignores the response without ReportBatchItemFailures on the mapping', () => {
    assert.deepEqual(
      ids(failedRecords(batch, { result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }, false)),
      [],
    );
  });
});
