/** S3 event notifications, as S3 sends them to SQS. Keys are URL-encoded with spaces as '+'. */

export interface S3EventRecord {
  readonly eventVersion: string;
  readonly eventSource: 'aws:s3';
  readonly awsRegion: string;
  readonly eventTime: string;
  readonly eventName: string;
  readonly s3: {
    readonly s3SchemaVersion: string;
    readonly bucket: { readonly name: string; readonly arn: string };
    readonly object: { readonly key: string; readonly size: number; readonly sequencer?: string };
  };
}

export interface S3Event {
  readonly Records: readonly S3EventRecord[];
}

export interface S3TestEvent {
  readonly Event: 's3:TestEvent';
  readonly Service?: string;
  readonly Bucket?: string;
}

export const encodeS3Key = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

export const objectCreatedEvent = (bucket: string, key: string, size: number, nowMs: number): S3Event => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'local',
      eventTime: new Date(nowMs).toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeS3Key(key), size, sequencer: nowMs.toString(16).toUpperCase() },
      },
    },
  ],
});

/** Parses an SQS body that should hold an S3 notification. Throws with a reason otherwise. */
export const parseS3Notification = (body: string): S3Event | S3TestEvent => {
  const value: unknown = JSON.parse(body);
  if (value && typeof value === 'object') {
    if ((value as S3TestEvent).Event === 's3:TestEvent') return value as S3TestEvent;
    const records = (value as S3Event).Records;
    if (Array.isArray(records)) return value as S3Event;
  }
  throw new Error('message body is not an S3 event notification');
};

export const isTestEvent = (event: S3Event | S3TestEvent): event is S3TestEvent =>
  (event as S3TestEvent).Event === 's3:TestEvent';
