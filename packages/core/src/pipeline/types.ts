/** Output formats a variant can be written in. */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif';

/** A parameter value after validation: ranges are always `[min, max]` pairs. */
export type ParamValue = number | string | boolean | readonly [number, number];

/** One operation step: run `op` with `probability`. */
export interface OpStep {
  readonly kind: 'op';
  readonly op: string;
  readonly probability: number;
  /** Every parameter of the operation, defaults filled in (an absent optional one is undefined). */
  readonly params: Readonly<Record<string, ParamValue | undefined>>;
}

/** With `probability`, run exactly one of `steps`, picked by `weights`. */
export interface OneOfStep {
  readonly kind: 'oneOf';
  readonly probability: number;
  readonly steps: readonly Step[];
  readonly weights: readonly number[];
}

/** With `probability`, run between `count[0]` and `count[1]` of `steps`, distinct, in their listed order. */
export interface SomeOfStep {
  readonly kind: 'someOf';
  readonly probability: number;
  readonly steps: readonly Step[];
  readonly count: readonly [number, number];
}

export type Step = OpStep | OneOfStep | SomeOfStep;

/** A validated, normalised pipeline spec. */
export interface PipelineSpec {
  readonly name?: string;
  readonly description?: string;
  readonly seed?: number;
  /** Output format; absent means "the input's format" (png for inputs that cannot be written back). */
  readonly format?: OutputFormat;
  /** Output quality 1–100 (jpeg, webp, avif; ignored for png). */
  readonly quality?: number;
  readonly steps: readonly Step[];
}

/** A validated pipeline, ready to render. */
export interface ResolvedPipeline {
  /** Preset name, the spec's `name`, or 'custom'. */
  readonly name: string;
  /** The seed variants are derived from: the spec's own `seed` if it has one, else the job's. */
  readonly seed: number;
  /** The normalised spec (defaults filled in). */
  readonly spec: PipelineSpec;
}
