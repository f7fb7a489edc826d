/**
 * The job table's on-demand ceiling (`onDemandThroughput`), derived from what can write to it: a cap
 * that never throttles the peak the Lambda concurrency can produce, but stops a runaway (a redrive
 * storm, a bug in a loop) from billing without bound.
 */

/**
 * DynamoDB write units one variant costs in the job model: variants are recorded in batches per
 * source plus small counter updates (issue 12's target is under 3 per variant, measured on dynalite by
 * `npm run bench:scale`); the ceiling uses this bound.
 */
export const WRITE_UNITS_PER_VARIANT = 3;
/** Read units per variant (loads of the small job and source records). */
export const READ_UNITS_PER_VARIANT = 2;
/** The fastest a render goes: small (256 px) images, delta-classic, one vCPU (README engine figures). */
export const MAX_VARIANTS_PER_SECOND_PER_RENDER = 25;
/** Gateway traffic (job creation, uploads, listing, redrive) on top of the augmenter's. */
export const GATEWAY_UNITS_PER_SECOND = 500;
/** Margin over the computed peak before the table throttles. */
export const HEADROOM = 1.5;

export interface WriterLoad {
  /** Most concurrent augmenter invocations (event source mapping `maximumConcurrency`). */
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly renderConcurrency: number;
}

/** Variants per second the augmenter fleet can record at most. */
export const peakVariantsPerSecond = (load: WriterLoad): number =>
  load.maxConcurrency * load.batchSize * load.renderConcurrency * MAX_VARIANTS_PER_SECOND_PER_RENDER;

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

/** The table's `onDemandThroughput`: request units per second, rounded up to 100. */
export const tableThroughputCeiling = (
  load: WriterLoad,
): { maxWriteRequestUnits: number; maxReadRequestUnits: number } => {
  const variants = peakVariantsPerSecond(load);
  return {
    maxWriteRequestUnits: roundUp((variants * WRITE_UNITS_PER_VARIANT + GATEWAY_UNITS_PER_SECOND) * HEADROOM, 100),
    maxReadRequestUnits: roundUp((variants * READ_UNITS_PER_VARIANT + GATEWAY_UNITS_PER_SECOND) * HEADROOM, 100),
  };
};
