export { type LocalStack, startLocalStack } from './stack.js';
