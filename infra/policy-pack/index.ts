/**
 * The Delta Augment guardrails policy pack: `pulumi preview --policy-pack infra/policy-pack` (or
 * `pulumi up --policy-pack ...`) refuses a stack that breaks one of them. The policies themselves are
 * in `guardrails.ts`, where tests run them against the mocked stack.
 */
import { PolicyPack } from '@pulumi/policy';
import { guardrailPolicies } from './guardrails.js';

new PolicyPack('delta-augment-guardrails', { policies: guardrailPolicies });
