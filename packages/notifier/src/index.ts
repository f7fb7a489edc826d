export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export { createNotifier } from './notifier.js';
export { type Caller, DEFAULT_LIMITS, type Notifier, type NotifierLimits, type NotifierOptions } from './options.js';
export { ALL_JOBS, type ClientMessage, type ServerMessage } from './protocol.js';
