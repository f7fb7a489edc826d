import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** 1536 → "1.5 KB", for byte bars. */
export const formatBytes = (bytes: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
};

/** A rate over the last few seconds (a sliding window of samples), so a stall shows as a falling rate. */
class Rate {
  readonly #samples: { at: number; value: number }[] = [];
  add(value: number): number {
    const now = Date.now();
    this.#samples.push({ at: now, value });
    while (this.#samples.length > 2 && (this.#samples[0]?.at ?? now) < now - 5000) this.#samples.shift();
    const first = this.#samples[0];
    if (!first || now - first.at < 200) return 0;
    return ((value - first.value) * 1000) / (now - first.at);
  }
}

export interface Bar {
  /** Sets the current value (and the total when it becomes known). */
  update(value: number, total?: number): void;
  increment(delta: number): void;
}

/**
 * The three phases of `augment` as stacked bars on stderr (upload bytes, variants done, download bytes),
 * each with its rate and ETA. Bars are drawn only on a terminal.
 */
export class ProgressBars {
  readonly #multi: MultiBar;

  constructor(stream: NodeJS.WritableStream = process.stderr) {
    this.#multi = new MultiBar(
      {
        stream,
        format: ' {name} |{bar}| {percentage}% | {amount} | {rate} | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 40,
        etaAsynchronousUpdate: true,
        barsize: 30,
        autopadding: true,
      },
      Presets.shades_classic,
    );
  }

  /** Adds a bar; `unit` decides how amounts and rates read ("12.1/40.0 MB", "20/240 variants"). */
  add(name: string, total: number, unit: 'bytes' | string): Bar {
    const rate = new Rate();
    let value = 0;
    let max = total;
    const payload = () => {
      const perSecond = rate.add(value);
      return unit === 'bytes'
        ? { name, amount: `${formatBytes(value)}/${formatBytes(max)}`, rate: `${formatBytes(perSecond)}/s` }
        : { name, amount: `${value}/${max} ${unit}`, rate: `${perSecond.toFixed(1)} ${unit}/s` };
    };
    const bar: SingleBar = this.#multi.create(Math.max(1, total), 0, payload());
    return {
      update: (next, nextTotal) => {
        value = next;
        if (nextTotal !== undefined && nextTotal !== max) {
          max = nextTotal;
          bar.setTotal(Math.max(1, nextTotal));
        }
        bar.update(value, payload());
      },
      increment: (delta) => {
        value += delta;
        bar.update(value, payload());
      },
    };
  }

  log(line: string): void {
    this.#multi.log(`${line}\n`);
  }

  stop(): void {
    this.#multi.stop();
  }
}
