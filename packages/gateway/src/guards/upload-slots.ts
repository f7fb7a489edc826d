import { RequestError } from '../errors.js';

/**
 * Caps the multipart uploads the gateway reads at once, overall and per caller, so that its memory is
 * bounded by `maxConcurrentUploads × MAX_REQUEST_BYTES` whatever the number of clients: an upload over a
 * cap is refused at once with a 429 naming the cap, before its body is read.
 */
export class UploadSlots {
  #total = 0;
  readonly #byCaller = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerCaller: number,
  ) {}

  /** Takes a slot for `caller`, or throws a 429; the returned function gives it back (once). */
  acquire(caller: string): () => void {
    const mine = this.#byCaller.get(caller) ?? 0;
    if (mine >= this.maxPerCaller) {
      throw new RequestError(
        'TOO_MANY_UPLOADS',
        `${this.maxPerCaller} uploads of this caller are already in progress (MAX_CONCURRENT_UPLOADS_PER_CALLER); retry when one ends`,
        429,
        'file',
      );
    }
    if (this.#total >= this.maxTotal) {
      throw new RequestError(
        'TOO_MANY_UPLOADS',
        `${this.maxTotal} uploads are already in progress (MAX_CONCURRENT_UPLOADS); retry shortly`,
        429,
        'file',
      );
    }
    this.#total += 1;
    this.#byCaller.set(caller, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#byCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.#byCaller.set(caller, left);
      else this.#byCaller.delete(caller);
    };
  }

  get inProgress(): number {
    return this.#total;
  }
}
