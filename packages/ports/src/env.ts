import { ConfigError } from '@delta-augment/core';

/** The environment a configuration is read from. */
export type Env = Readonly<Record<string, string | undefined>>;

export const int = (env: Env, name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
};

export const str = (env: Env, name: string, fallback: string): string => {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
};

export const list = (env: Env, name: string): string[] =>
  (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
