import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openApiTypes } from '../../scripts/openapi-types.js';
import { REPO } from '../helpers/server.js';

describe('the typed client', () => {
  it('has types generated from the live OpenAPI document (run npm run gen:client when this fails)', async () => {
    // Prepare
    const checkedIn = readFileSync(join(REPO, 'packages', 'client', 'src', 'api-types.ts'), 'utf8');
    // Act
    const generated = await openApiTypes();
    // Assess
    assert.ok(generated === checkedIn, 'packages/client/src/api-types.ts is stale: run npm run gen:client');
  });
});
