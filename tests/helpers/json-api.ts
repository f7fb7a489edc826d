/**
 * A JSON client of a running stack: `api(path, init)` fetches `${base()}${path}`, throws on a non-2xx answer
 * with the method, path, status and body, and parses the body (undefined when empty).
 */
export const jsonApi =
  (base: () => string) =>
  async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${base()}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
