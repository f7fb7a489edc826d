/** The Pulumi program under mocks (infra/synthesize.ts), for the policy tests. */
export * from '../../infra/synthesize.js';
