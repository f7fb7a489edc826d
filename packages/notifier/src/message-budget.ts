/**
 * A token bucket for the messages one connection sends: `perSecond` sustained, `burst` at once. Messages
 * past it are dropped (the first of each second with a RATE_LIMITED error); a client that has more than
 * `perSecond` messages dropped within one second is flooding and gets closed.
 */
export class MessageBudget {
  private tokens: number;
  private last: number;
  private dropped = 0;
  private droppedSince = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** `ok`: handle it; `drop`: over budget (`first` for the first of a run); `close`: the client floods. */
  take(): { verdict: 'ok' } | { verdict: 'drop'; first: boolean } | { verdict: 'close' } {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { verdict: 'ok' };
    }
    if (now - this.droppedSince > 1000) {
      this.droppedSince = now;
      this.dropped = 0;
    }
    this.dropped += 1;
    if (this.dropped > this.perSecond) return { verdict: 'close' };
    return { verdict: 'drop', first: this.dropped === 1 };
  }
}
