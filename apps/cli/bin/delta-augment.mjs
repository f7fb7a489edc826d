#!/usr/bin/env node
// The operator CLI (`npx delta-augment queues list`): runs the TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
