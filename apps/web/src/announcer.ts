/**
 * Speaks short messages through the page's aria-live region. Messages that arrive close together are
 * joined into one, so that a burst of progress does not flood a screen reader.
 */
export class Announcer {
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly region: HTMLElement,
    private readonly delayMs = 400,
  ) {}

  say(message: string): void {
    if (!this.pending.includes(message)) this.pending.push(message);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    this.timer = undefined;
    const text = this.pending.join('. ');
    this.pending = [];
    // Clearing first makes assistive technology announce the same text twice in a row.
    this.region.textContent = '';
    setTimeout(() => {
      this.region.textContent = text;
    }, 50);
  }
}
