import { type ChildProcess, fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { augmenterEntry, buildDir, bundleLambda, repoRoot } from '../../../infra/lambda-package.js';
import type { RawSettings } from '../../../infra/settings.js';
import { type EmulatorsReady, emulatedEnvironment } from './environment.js';
import type { FunctionModel } from './infra-model.js';
import { lambdaNode } from './lambda-node.js';
import type { Usage } from './usage.js';

/** The gateway's entry (`npm start`): with ADAPTERS=aws it runs the gateway and notifier on the AWS adapters. */
export const GATEWAY_ENTRY = join(repoRoot, 'apps/local/src/main.ts');
const HERE = join(repoRoot, 'apps/aws-emulated/src');

export type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface EmulatedStackOptions {
  /** Gateway port (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** Infra settings, as `pulumi config` holds them (e.g. `{ lambdaTimeoutSeconds: '5' }`). */
  readonly settings?: RawSettings;
  /** The gateway's DATA_DIR (default `./data/aws-emulated`). */
  readonly dataDir?: string;
  /** Concurrent Lambda invocations of the event source mapping stand-in (default 2). */
  readonly lambdaConcurrency?: number;
  /** Extra environment of the gateway (API_KEYS, ADMIN_KEY, ...). */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** Where the child processes' output goes (default: this process's stdout). */
  readonly output?: (line: string) => void;
  readonly log?: Log;
}

export interface EmulatedStack {
  /** The gateway's base URL. */
  readonly url: string;
  readonly ready: EmulatorsReady;
  /** The Lambda bundle the runner imports. */
  readonly bundle: string;
  /** The environment the gateway runs with. */
  readonly gatewayEnvironment: Readonly<Record<string, string>>;
  usage(): Promise<Usage>;
  resetUsage(): Promise<void>;
  /** Makes S3 GETs of keys containing `fragment` fail with 500 (undefined: no fault). */
  failS3GetsFor(fragment: string | undefined): Promise<void>;
  /** Sends an ObjectCreated event for an existing object again (S3 may deliver an event twice). */
  redeliverObjectCreated(bucket: string, key: string): Promise<void>;
  /** The runner's process (to kill it); `startRunner` starts a new one. */
  readonly runner: () => ChildProcess;
  startRunner(): Promise<void>;
  stopGateway(signal?: NodeJS.Signals): Promise<void>;
  startGateway(): Promise<void>;
  stop(): Promise<void>;
}

const onExit = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

const waitForMessage = <T>(child: ChildProcess, type: string, what: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string } & T) => {
      if (message?.type !== type) return;
      child.off('exit', onEarlyExit);
      child.off('message', onMessage);
      resolve(message);
    };
    const onEarlyExit = (code: number | null) => reject(new Error(`${what} exited with ${code} before it was ready`));
    child.on('message', onMessage);
    child.once('exit', onEarlyExit);
  });

const pipeLines = (child: ChildProcess, prefix: string, output: (line: string) => void): void => {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line) output(`${prefix} ${line}`);
    });
  }
};

/** AWS_* variables of the caller's shell must not leak into the emulated processes (real credentials, endpoints). */
const withoutAws = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('AWS_')),
  );

/**
 * The AWS composition on one machine, all on 127.0.0.1: the emulator process (fauxqs, dynalite, the S3
 * notification and EventBridge stand-ins, with the resources infra declares), the Lambda bundle infra
 * deploys under the event source mapping stand-in (on the Lambda runtime's Node major), and the
 * gateway with the notifier on ADAPTERS=aws, fed by its SNS-subscribed notification queue.
 */
export const startEmulatedStack = async (options: EmulatedStackOptions = {}): Promise<EmulatedStack> => {
  const log = options.log ?? (() => undefined);
  const output = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  const children = new Set<ChildProcess>();
  const track = (child: ChildProcess) => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const stopAll = async () => {
    await Promise.all(
      [...children].map((child) => {
        child.kill('SIGTERM');
        return onExit(child);
      }),
    );
  };

  try {
    const bundleDir = join(buildDir, 'augmenter-emulated');
    const [node, bundle] = await Promise.all([
      lambdaNode(log),
      bundleLambda({ entry: augmenterEntry, outDir: bundleDir }),
    ]);
    log('lambda bundle built', { bundle });

    const emulators = track(
      fork(join(HERE, 'emulators-main.ts'), [JSON.stringify(options.settings ?? {})], {
        execPath: node,
        execArgv: ['--import', 'tsx'],
        env: withoutAws(process.env),
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    pipeLines(emulators, '[emulators]', output);
    const { ready } = await waitForMessage<{ ready: EmulatorsReady }>(emulators, 'ready', 'the emulator process');
    const { model } = ready;
    log('emulators up', { ...ready.endpoints, control: ready.controlUrl });

    /** One event source mapping runner per queue-fed function of infra (augmenter, archiver). */
    const runFunction = async (fn: FunctionModel): Promise<ChildProcess> => {
      const queueUrl = ready.queueUrls[fn.mapping.queue];
      if (!queueUrl) throw new Error(`${fn.name} consumes ${fn.mapping.queue}, which the emulators did not create`);
      const config = {
        bundle,
        functionName: fn.name,
        handler: fn.handler,
        environment: emulatedEnvironment(fn.environment, ready),
        memoryMb: fn.memoryMb,
        timeoutSeconds: fn.timeoutSeconds,
        mapping: fn.mapping,
        queueUrl,
        region: model.region,
        controlUrl: ready.controlUrl,
        concurrency: Math.min(fn.mapping.maxConcurrency, options.lambdaConcurrency ?? 2),
      };
      const child = track(
        fork(join(HERE, 'esm-runner-main.ts'), [JSON.stringify(config)], {
          execPath: node,
          execArgv: ['--import', 'tsx', ...(fn.environment.NODE_OPTIONS ?? '').split(' ').filter(Boolean)],
          env: withoutAws(process.env),
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        }),
      );
      pipeLines(child, fn === model.augmenter ? '[lambda]' : '[archiver]', output);
      await waitForMessage(child, 'ready', `the event source mapping runner of ${fn.name}`);
      return child;
    };
    let runnerProcess: ChildProcess | undefined;
    const startRunner = async () => {
      runnerProcess = await runFunction(model.augmenter);
    };
    await Promise.all([startRunner(), runFunction(model.archiver)]);

    const dataDir = options.dataDir ?? join(repoRoot, 'data', 'aws-emulated');
    await mkdir(dataDir, { recursive: true });
    const gatewayEnvironment: Record<string, string> = {
      ...emulatedEnvironment(model.gatewayEnvironment, ready),
      HOST: '127.0.0.1',
      PORT: String(options.port ?? 8080),
      DATA_DIR: dataDir,
      NOTIFY_QUEUE_URL: ready.notifyQueueUrl,
      ...options.gatewayEnv,
    };
    // Deployment-only settings: the CDN's URL and production mode.
    delete gatewayEnvironment.PUBLIC_URL;
    delete gatewayEnvironment.NODE_ENV;
    let gatewayProcess: ChildProcess | undefined;
    let url = '';
    const startGateway = async () => {
      const env = { ...withoutAws(process.env), ...gatewayEnvironment, ...(url ? { PORT: new URL(url).port } : {}) };
      const child = track(
        fork(GATEWAY_ENTRY, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
      );
      gatewayProcess = child;
      const up = new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before it was up`)));
        child.stdout?.setEncoding('utf8');
        let buffered = '';
        child.stdout?.on('data', (chunk: string) => {
          buffered += chunk;
          const match = /"msg":"Delta Augment gateway is up on AWS adapters","url":"([^"]+)"/.exec(buffered);
          if (match?.[1]) resolve(match[1]);
        });
      });
      pipeLines(child, '[gateway]', output);
      url = await up;
    };
    await startGateway();
    log('gateway up', { url });

    const control = async (method: string, path: string, body?: unknown): Promise<Usage> => {
      const response = await fetch(`${ready.controlUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok)
        throw new Error(`emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Usage;
    };

    return {
      get url() {
        return url;
      },
      ready,
      bundle,
      gatewayEnvironment,
      usage: () => control('GET', '/usage'),
      resetUsage: async () => {
        await control('POST', '/usage/reset');
      },
      failS3GetsFor: async (fragment) => {
        await control('PUT', '/faults', { s3GetFailsFor: fragment });
      },
      redeliverObjectCreated: async (bucket, key) => {
        await control('POST', '/s3/object-created', { bucket, key });
      },
      runner: () => {
        if (!runnerProcess) throw new Error('no runner');
        return runnerProcess;
      },
      startRunner,
      stopGateway: async (signal = 'SIGTERM') => {
        if (!gatewayProcess) return;
        gatewayProcess.kill(signal);
        await onExit(gatewayProcess);
      },
      startGateway,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
