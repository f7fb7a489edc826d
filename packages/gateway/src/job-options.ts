import { randomInt } from 'node:crypto';
import type { PipelineChoice } from '@delta-augment/core';
import { PRESETS, resolvePipeline } from '@delta-augment/core';
import type { Config } from '@delta-augment/ports';
import { badRequest, tooLarge } from './errors.js';

export interface JobOptions {
  readonly variants: number;
  readonly tags: string[];
  readonly pipeline: PipelineChoice;
}

const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,39}$/u;
export const MAX_TAGS = 20;
const MAX_PIPELINE_BYTES = 64 * 1024;

export const parseVariants = (raw: unknown, config: Pick<Config, 'maxVariants'>): number => {
  if (raw === undefined || raw === '') return 20;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < 1 || value > config.maxVariants) {
    throw badRequest(
      'variants',
      `variants must be an integer from 1 to ${config.maxVariants} (MAX_VARIANTS), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
};

export const parseTags = (raw: unknown): string[] => {
  const list = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(',');
  const tags = [...new Set(list.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  if (tags.length > MAX_TAGS) throw badRequest('tags', `at most ${MAX_TAGS} tags, got ${tags.length}`);
  for (const tag of tags) {
    if (!TAG.test(tag)) {
      throw badRequest(
        'tags',
        `tag ${JSON.stringify(tag.slice(0, 50))} must be 1-40 letters, digits, spaces, '_', '.' or '-', starting with a letter or digit`,
      );
    }
  }
  return tags;
};

export const parseSeed = (raw: unknown): number => {
  if (raw === undefined || raw === '') return randomInt(0, 2 ** 31);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 32 - 1) {
    throw badRequest('seed', `seed must be an integer from 0 to 4294967295, got ${JSON.stringify(raw)}`);
  }
  return value;
};

/**
 * Refuses `null` anywhere in a JSON body, naming its field (`seed`, `files[0].label`): the schema's type
 * coercion would otherwise turn it into 0 or '' and a default would be used silently. Runs before validation.
 */
export const refuseNulls = (body: unknown): void => {
  // Iterative: a body nested 100,000 deep is the schema's to refuse, not a stack overflow here.
  const pending: [unknown, string][] = [[body, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, field] = next;
    if (value === null) {
      throw badRequest(field || 'body', `${field || 'the body'} must not be null; leave the field out for its default`);
    }
    if (typeof value !== 'object') continue;
    if (Array.isArray(value)) for (const [i, item] of value.entries()) pending.push([item, `${field}[${i}]`]);
    else for (const [key, item] of Object.entries(value)) pending.push([item, field ? `${field}.${key}` : key]);
  }
};

/** `preset` (a name) or `pipeline` (a JSON spec), validated now so that a bad spec is a 400, not a failed job. */
export const parsePipeline = (preset: unknown, pipeline: unknown, seed: number): PipelineChoice => {
  if (preset !== undefined && preset !== '' && pipeline !== undefined && pipeline !== '') {
    throw badRequest('pipeline', 'send either preset or pipeline, not both');
  }
  let choice: PipelineChoice;
  if (pipeline !== undefined && pipeline !== '') {
    let spec: unknown = pipeline;
    if (typeof pipeline === 'string') {
      if (Buffer.byteLength(pipeline) > MAX_PIPELINE_BYTES)
        throw tooLarge('pipeline', `the pipeline spec is over ${MAX_PIPELINE_BYTES} bytes`);
      try {
        spec = JSON.parse(pipeline);
      } catch (error) {
        throw badRequest('pipeline', `pipeline is not valid JSON: ${(error as Error).message}`);
      }
    }
    // `null` (or any non-object) is not a spec: it would otherwise fall back to the default preset, reported as custom.
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw badRequest(
        'pipeline',
        `pipeline must be a JSON object with a "steps" array, got ${spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec}`,
        'INVALID_PIPELINE',
      );
    }
    choice = { spec, seed };
  } else {
    const name = preset === undefined || preset === '' ? 'delta-classic' : String(preset);
    if (!Object.hasOwn(PRESETS, name)) {
      throw badRequest(
        'preset',
        `unknown preset ${JSON.stringify(name.slice(0, 60))}; known: ${Object.keys(PRESETS).join(', ')}`,
      );
    }
    choice = { preset: name, seed };
  }
  try {
    resolvePipeline(choice);
  } catch (error) {
    const field = (error as { field?: string }).field;
    throw badRequest(field ? `pipeline.${field}` : 'pipeline', (error as Error).message, 'INVALID_PIPELINE');
  }
  return choice;
};
