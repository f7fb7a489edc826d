export { buildApp, type GatewayDeps } from './app.js';
export { type LocalStack, startLocalStack } from './local/stack.js';
