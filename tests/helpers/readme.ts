import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './server.js';

/** The code block that follows `<!-- snippet: name ... -->` in the README, as the reader sees it. */
export const readmeSnippet = (name: string): string => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf(`<!-- snippet: ${name} `);
  if (at < 0) throw new Error(`README.md has no snippet named ${name}`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block?.[1]) throw new Error(`no code block after the ${name} snippet marker`);
  return block[1];
};
