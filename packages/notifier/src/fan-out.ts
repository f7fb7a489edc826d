import type { JobEvent } from '@delta-augment/core';
import type { Connection } from './connection.js';
import { JobStream, type ReadEvents } from './job-stream.js';
import type { OwnerCache } from './owner-cache.js';

/** Streams a `"*"` subscription keeps open per connection before idle ones are recycled. */
const MAX_IMPLICIT_STREAMS = 256;

/**
 * Routes each live event to the connections that should see it: those with a stream for its job,
 * and the `"*"` subscribers of the job's owner (whose first event of a job opens a stream at it).
 */
export class FanOut {
  private readonly byJob = new Map<string, Set<Connection>>();
  private readonly byOwner = new Map<string, Set<Connection>>();
  /** Live events of jobs whose owner is being loaded, in arrival order, for `"*"` subscribers. */
  private readonly awaitingOwner = new Map<string, JobEvent[]>();

  constructor(
    private readonly owners: OwnerCache,
    private readonly read: ReadEvents,
  ) {}

  /**
   * Opens (or reopens, replacing the previous one) the connection's stream of a job at `after`.
   * With `catchUp`, the stored events after `after` are sent first.
   */
  open(connection: Connection, jobId: string, after: number, explicit: boolean, catchUp: boolean): JobStream {
    connection.streams.get(jobId)?.stop();
    const stream = new JobStream(jobId, after, explicit, this.read, {
      send: (event, paced) => connection.sendEvent(event, paced),
      congested: () => connection.congested,
      drained: () => connection.drained(),
      overflow: () => connection.closeSlow(),
      fail: (failedJobId, error) => {
        this.closeStream(connection, failedJobId);
        connection.sendMessage({
          type: 'error',
          code: 'UNAVAILABLE',
          message: `events of job ${failedJobId} could not be read (${error instanceof Error ? error.message : String(error)}); subscribe again`,
          jobId: failedJobId,
        });
      },
    });
    connection.streams.delete(jobId);
    connection.streams.set(jobId, stream);
    let subscribers = this.byJob.get(jobId);
    if (!subscribers) {
      subscribers = new Set();
      this.byJob.set(jobId, subscribers);
    }
    subscribers.add(connection);
    if (catchUp) stream.catchUp();
    if (!explicit) this.recycleImplicit(connection);
    return stream;
  }

  closeStream(connection: Connection, jobId: string): void {
    const stream = connection.streams.get(jobId);
    if (!stream) return;
    stream.stop();
    connection.streams.delete(jobId);
    const subscribers = this.byJob.get(jobId);
    subscribers?.delete(connection);
    if (subscribers?.size === 0) this.byJob.delete(jobId);
  }

  /** Turns the connection's `"*"` subscription on or off (off also closes the streams it opened). */
  setWildcard(connection: Connection, on: boolean): void {
    const owner = connection.caller.owner;
    if (on) {
      connection.wildcard = true;
      let subscribers = this.byOwner.get(owner);
      if (!subscribers) {
        subscribers = new Set();
        this.byOwner.set(owner, subscribers);
      }
      subscribers.add(connection);
      return;
    }
    connection.wildcard = false;
    const subscribers = this.byOwner.get(owner);
    subscribers?.delete(connection);
    if (subscribers?.size === 0) this.byOwner.delete(owner);
    for (const stream of [...connection.streams.values()]) {
      if (!stream.explicit) this.closeStream(connection, stream.jobId);
    }
  }

  /** Forgets a closing connection. */
  release(connection: Connection): void {
    if (connection.wildcard) this.setWildcard(connection, false);
    for (const jobId of [...connection.streams.keys()]) this.closeStream(connection, jobId);
  }

  /** Delivers one live event. */
  dispatch(event: JobEvent): void {
    this.owners.learn(event);
    const subscribers = this.byJob.get(event.jobId);
    if (subscribers) for (const connection of subscribers) connection.streams.get(event.jobId)?.push(event);
    if (this.byOwner.size > 0) this.dispatchToWildcards(event);
  }

  private dispatchToWildcards(event: JobEvent): void {
    const waiting = this.awaitingOwner.get(event.jobId);
    if (waiting) {
      waiting.push(event);
      return;
    }
    const owner = this.owners.peek(event.jobId);
    if (owner !== undefined) {
      this.deliverToOwner(owner, event);
      return;
    }
    this.awaitingOwner.set(event.jobId, [event]);
    this.owners.load(event.jobId).then(
      (loaded) => this.flushAwaiting(event.jobId, loaded),
      () => this.flushAwaiting(event.jobId, undefined),
    );
  }

  private flushAwaiting(jobId: string, owner: string | undefined): void {
    const events = this.awaitingOwner.get(jobId) ?? [];
    this.awaitingOwner.delete(jobId);
    if (owner !== undefined) for (const event of events) this.deliverToOwner(owner, event);
  }

  private deliverToOwner(owner: string, event: JobEvent): void {
    const subscribers = this.byOwner.get(owner);
    if (!subscribers) return;
    for (const connection of subscribers) {
      // A connection with a stream for this job already got the event through it.
      if (connection.closed || connection.streams.has(event.jobId)) continue;
      this.open(connection, event.jobId, event.seq - 1, false, false).push(event);
    }
  }

  /** Keeps a connection's implicit streams bounded by closing the oldest idle ones. */
  private recycleImplicit(connection: Connection): void {
    let implicit = 0;
    for (const stream of connection.streams.values()) if (!stream.explicit) implicit++;
    for (const stream of [...connection.streams.values()]) {
      if (implicit <= MAX_IMPLICIT_STREAMS) return;
      if (!stream.explicit && stream.idle) {
        this.closeStream(connection, stream.jobId);
        implicit--;
      }
    }
  }
}
