export { buildApp, type GatewayDeps } from './app.js';
export { startLocalStack, type LocalStack } from './local/stack.js';
