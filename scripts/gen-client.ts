/**
 * Generates packages/client/src/api-types.ts from the gateway's OpenAPI document (GET /docs/json of an app
 * built with the default configuration), with openapi-typescript.
 *   node --import tsx scripts/gen-client.ts          write the file
 *   node --import tsx scripts/gen-client.ts --check  exit 1 when the checked-in file differs (CI)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiTypes } from './openapi-types.js';

const target = join(fileURLToPath(new URL('..', import.meta.url)), 'packages', 'client', 'src', 'api-types.ts');
const generated = await openApiTypes();
if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== generated) {
    console.error(`${target} does not match the OpenAPI document: run npm run gen:client`);
    process.exit(1);
  }
  console.log('packages/client/src/api-types.ts matches the OpenAPI document');
} else {
  await writeFile(target, generated);
  console.log(`wrote ${target}`);
}
