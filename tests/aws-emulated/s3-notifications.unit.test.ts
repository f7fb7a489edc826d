import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { S3NotificationStandIn } from '../../apps/aws-emulated/src/s3-notifications.js';

/** S3's documented behaviour ("Event notification types and destinations", "Event message structure"). */
const notifications = [
  {
    bucket: 'sources',
    queue: 'uploads',
    events: ['s3:ObjectCreated:*'],
    filterPrefix: 'sources/',
    filterSuffix: '.jpg',
  },
];

const standIn = () => {
  const s3 = mockClient(S3Client);
  const sqs = mockClient(SQSClient);
  s3.on(HeadObjectCommand).resolves({ ContentLength: 1234, ETag: '"abc123"' });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
  const notifier = new S3NotificationStandIn({
    region: 'eu-west-1',
    notifications,
    queueUrls: { uploads: 'http://sqs.eu-west-1.localhost/000000000000/uploads' },
    s3: new S3Client({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
  });
  const sent = () =>
    sqs
      .commandCalls(SendMessageCommand)
      .map((call) => JSON.parse(call.args[0].input.MessageBody ?? '') as Record<string, never>);
  const restore = () => {
    s3.restore();
    sqs.restore();
  };
  return { notifier, sent, restore };
};

describe('S3 ObjectCreated notification stand-in', () => {
  it('sends the documented event for a key matching the prefix and suffix, the key URL-encoded with + for spaces', async () => {
    const { notifier, sent, restore } = standIn();
    try {
      // Act
      await notifier.objectCreated('sources', 'sources/j1/s1/my photo+1.jpg', 'ObjectCreated:CompleteMultipartUpload');
      // Assess
      const [event] = sent();
      const [recordOf] = (event as unknown as { Records: Record<string, never>[] }).Records;
      const r = recordOf as unknown as {
        eventVersion: string;
        eventSource: string;
        eventName: string;
        awsRegion: string;
        s3: {
          bucket: { name: string; arn: string };
          object: { key: string; size: number; eTag: string; sequencer: string };
        };
      };
      assert.equal(r.eventVersion, '2.1');
      assert.equal(r.eventSource, 'aws:s3');
      assert.equal(r.eventName, 'ObjectCreated:CompleteMultipartUpload');
      assert.equal(r.awsRegion, 'eu-west-1');
      assert.deepEqual(r.s3.bucket, {
        name: 'sources',
        ownerIdentity: { principalId: 'EMULATED' },
        arn: 'arn:aws:s3:::sources',
      });
      assert.equal(r.s3.object.key, 'sources/j1/s1/my+photo%2B1.jpg');
      assert.equal(r.s3.object.size, 1234);
      assert.equal(r.s3.object.eTag, 'abc123');
      assert.match(r.s3.object.sequencer, /^[0-9A-F]{16}$/);
    } finally {
      restore();
    }
  });

  it('sends nothing for another bucket, a key outside the prefix or without the suffix', async () => {
    const { notifier, sent, restore } = standIn();
    try {
      await notifier.objectCreated('results', 'sources/j1/s1/a.jpg');
      await notifier.objectCreated('sources', 'results/j1/a.jpg');
      await notifier.objectCreated('sources', 'sources/j1/s1/a.png');
      assert.deepEqual(sent(), []);
    } finally {
      restore();
    }
  });

  it('sends an s3:TestEvent to each configured queue, as S3 does when the configuration is put', async () => {
    const { notifier, sent, restore } = standIn();
    try {
      await notifier.sendTestEvents();
      const [event] = sent() as unknown as { Event: string; Bucket: string; Service: string }[];
      assert.equal(event?.Event, 's3:TestEvent');
      assert.equal(event?.Bucket, 'sources');
      assert.equal(event?.Service, 'Amazon S3');
    } finally {
      restore();
    }
  });

  it('sends the event of a PUT, a copy and a completed multipart upload, once the emulator answered 2xx', async () => {
    const { notifier, sent, restore } = standIn();
    const exchange = (method: string, path: string, status: number, headers: Record<string, string> = {}) => ({
      method,
      url: new URL(path, 'http://s3'),
      headers: new Headers(headers),
      body: Buffer.alloc(0),
      status,
      responseHeaders: {},
      responseBody: Buffer.from('<CompleteMultipartUploadResult/>'),
    });
    try {
      await notifier.observe(exchange('PUT', '/sources/sources/j/s/a.jpg', 200));
      await notifier.observe(exchange('PUT', '/sources/sources/j/s/b.jpg', 200, { 'x-amz-copy-source': '/x/y.jpg' }));
      await notifier.observe(exchange('POST', '/sources/sources/j/s/c.jpg?uploadId=u1', 200));
      await notifier.observe(exchange('PUT', '/sources/sources/j/s/d.jpg?partNumber=1&uploadId=u1', 200));
      await notifier.observe(exchange('PUT', '/sources/sources/j/s/e.jpg', 403));
      const names = sent().map((e) => (e as unknown as { Records: { eventName: string }[] }).Records[0]?.eventName);
      assert.deepEqual(names, ['ObjectCreated:Put', 'ObjectCreated:Copy', 'ObjectCreated:CompleteMultipartUpload']);
    } finally {
      restore();
    }
  });
});
