import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** SIGNING_SECRET, or one generated once and kept in DATA_DIR so that signed URLs survive restarts. */
export const signingSecretFor = (dataDir: string, configured: string): string => {
  if (configured) return configured;
  const file = join(dataDir, 'signing.secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
};
