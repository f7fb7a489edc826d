import type { FastifyInstance } from 'fastify';

/** A started gateway process (the local stack or the AWS gateway): its app, its URL and how to stop it. */
export interface RunningService {
  readonly app: FastifyInstance;
  readonly url: string;
  stop(): Promise<void>;
}

/** One structured log line: a message and its fields. */
export type Log = (message: string, fields?: Record<string, unknown>) => void;
