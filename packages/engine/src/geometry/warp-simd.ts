import type { RawImage } from '../types.js';
import { KERNEL_BASE64 } from './warp-kernel.js';

/** Signature of the kernel's `affine` export (see warp.wat). */
type AffineKernel = (
  src: number,
  stride: number,
  maxX: number,
  maxY: number,
  out: number,
  outWidth: number,
  outHeight: number,
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
  f: number,
) => void;

/** Called by the kernel for a pixel whose neighbourhood leaves the source: (sx, sy, output offset). */
export type EdgeSampler = (sx: number, sy: number, o: number) => void;

const PAGE = 65536;
/** Source plus output larger than this stay in JS, so a huge image does not pin a huge linear memory. */
const MAX_MEMORY_BYTES = 96 * 1024 * 1024;
/** Spare bytes after each region: the kernel reads 8 and writes 4 bytes per pixel. */
const SLACK = 16;

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly affine3: AffineKernel;
  readonly affine4: AffineKernel;
  /** The source whose pixels are at offset 0, so that the variants of one source copy it once. */
  loaded: Uint8Array | undefined;
  edge: EdgeSampler;
}

let kernel: Kernel | null | undefined;

function instantiate(): Kernel | null {
  if (typeof WebAssembly !== 'object' || process.env.DELTA_WARP === 'js') return null;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_MEMORY_BYTES / PAGE + 1 });
    const state = { edge: (() => undefined) as EdgeSampler };
    const module = new WebAssembly.Module(Buffer.from(KERNEL_BASE64, 'base64'));
    const instance = new WebAssembly.Instance(module, {
      env: { memory, edge: (sx: number, sy: number, o: number) => state.edge(sx, sy, o) },
    });
    const created: Kernel = {
      memory,
      affine3: instance.exports.affine3 as AffineKernel,
      affine4: instance.exports.affine4 as AffineKernel,
      loaded: undefined,
      get edge() {
        return state.edge;
      },
      set edge(fn: EdgeSampler) {
        state.edge = fn;
      },
    };
    return created;
  } catch {
    // No WebAssembly SIMD on this runtime: the JS loops do the work.
    return null;
  }
}

const align = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * Runs the affine kernel (WebAssembly SIMD) into `out`; `edge` fills the pixels the kernel leaves
 * to JS, writing into the view it is given. Returns false when the kernel is unavailable or the
 * images are too large for its memory (the caller then runs the JS loop).
 */
export function affineSimd(
  src: RawImage,
  inverse: readonly number[],
  out: Uint8Array,
  outWidth: number,
  outHeight: number,
  edge: (view: Uint8Array) => EdgeSampler,
): boolean {
  if (kernel === undefined) kernel = instantiate();
  if (kernel === null) return false;
  const sourceBytes = src.width * src.height * src.channels;
  const outOffset = align(sourceBytes + SLACK);
  const needed = outOffset + align(out.length + SLACK);
  if (needed > MAX_MEMORY_BYTES) return false;
  const k = kernel;
  const have = k.memory.buffer.byteLength;
  if (needed > have) {
    k.memory.grow(Math.ceil((needed - have) / PAGE));
    k.loaded = undefined;
  }
  const heap = new Uint8Array(k.memory.buffer);
  if (k.loaded !== src.data) {
    heap.set(src.data.subarray(0, sourceBytes), 0);
    k.loaded = src.data;
  }
  const view = heap.subarray(outOffset, outOffset + out.length);
  k.edge = edge(view);
  const [a, b, c, d, e, f] = inverse as [number, number, number, number, number, number];
  const run = src.channels === 3 ? k.affine3 : k.affine4;
  run(0, src.width * src.channels, src.width - 1, src.height - 1, outOffset, outWidth, outHeight, a, b, c, d, e, f);
  out.set(view);
  return true;
}

/** Forgets the cached source (its buffer is about to be reused for something else). */
export function forgetSimdSource(data: Uint8Array): void {
  if (kernel?.loaded === data) kernel.loaded = undefined;
}
