import { ApiError, errorFromResponse } from '../api.js';
import type { KeyStore } from '../auth.js';

/** The admin API the console reads and acts on, same origin, with the key from the page's key store. */
export class ConsoleApi {
  constructor(
    private readonly keys: KeyStore,
    private readonly base = '',
  ) {}

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value) search.set(name, value);
    const qs = search.toString();
    return this.send<T>('GET', `${path}${qs ? `?${qs}` : ''}`);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.send<T>('DELETE', path);
  }

  /** A URL for an <img> or <a>, which cannot send headers. */
  url(path: string): string {
    return this.keys.withToken(`${this.base}${path}`);
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.keys.headers(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(response.status, response.statusText, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
