import type { Clock } from '../../../packages/core/src/clock.js';

/** Real time plus an offset the test moves: time keeps flowing (long polls end) and can jump ahead. */
export class TestClock implements Clock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}
