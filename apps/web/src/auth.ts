/** The optional API key, kept in localStorage so that a reload keeps it. */

const STORAGE_KEY = 'delta-augment.apiKey';

/** Reads and writes the API key; tolerant of browsers where storage is blocked. */
export class KeyStore {
  private key: string;

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined) {
    this.key = safely(() => storage?.getItem(STORAGE_KEY)) ?? '';
  }

  get value(): string {
    return this.key;
  }

  set(value: string): void {
    this.key = value.trim();
    if (this.key) safely(() => this.storage?.setItem(STORAGE_KEY, this.key));
    else safely(() => this.storage?.removeItem(STORAGE_KEY));
  }

  /** Headers for fetch/XHR: a bearer token when a key is set. */
  headers(): Record<string, string> {
    return this.key ? { authorization: `Bearer ${this.key}` } : {};
  }

  /** The URL with `token=<key>` appended, for places that cannot send headers (img, a, WebSocket). */
  withToken(url: string): string {
    if (!this.key) return url;
    return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.key)}`;
  }
}

const safely = <T>(action: () => T): T | undefined => {
  try {
    return action();
  } catch {
    return undefined;
  }
};
