export { startAwsGateway } from './aws-gateway.js';
