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

/** A source whose pixels are in the kernel's memory at `offset`, so that the variants of one source copy it once. */
interface Resident {
  readonly data: Uint8Array;
  readonly offset: number;
  readonly bytes: number;
}

/**
 * Sources kept in the kernel's memory at once. A local worker renders the variants of two sources at a time
 * (SOURCES_AT_ONCE), and their warps interleave: with room for one, half of the warps copied their source in
 * again (112 copies for the bench's 223 warps, ~2.4 MB each); with two, one copy per source (12).
 */
const MAX_RESIDENT = 2;

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly affine3: AffineKernel;
  readonly affine4: AffineKernel;
  /** The sources in memory, from offset 0 up, in the order they were copied in. */
  resident: Resident[];
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
      resident: [],
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
  const k = kernel;
  const place = residentFor(k, src.data, sourceBytes, align(out.length + SLACK));
  if (place === undefined) return false;
  const { offset, outOffset, needed, copy } = place;
  const have = k.memory.buffer.byteLength;
  if (needed > have) k.memory.grow(Math.ceil((needed - have) / PAGE));
  const heap = new Uint8Array(k.memory.buffer);
  if (copy) heap.set(src.data.subarray(0, sourceBytes), offset);
  const view = heap.subarray(outOffset, outOffset + out.length);
  k.edge = edge(view);
  const [a, b, c, d, e, f] = inverse as [number, number, number, number, number, number];
  const run = src.channels === 3 ? k.affine3 : k.affine4;
  run(
    offset,
    src.width * src.channels,
    src.width - 1,
    src.height - 1,
    outOffset,
    outWidth,
    outHeight,
    a,
    b,
    c,
    d,
    e,
    f,
  );
  out.set(view);
  return true;
}

/**
 * Where a source's pixels are in the kernel's memory (`copy`: not yet, copy them there) and where the output goes
 * (after the resident sources): the source stays if it is there; else it is added after the others while there is
 * room, or it replaces them all. Undefined when the source and the output alone exceed the memory's limit.
 */
function residentFor(
  k: Kernel,
  data: Uint8Array,
  sourceBytes: number,
  outBytes: number,
): { offset: number; outOffset: number; needed: number; copy: boolean } | undefined {
  const endOf = (list: readonly Resident[]) =>
    list.reduce((end, r) => Math.max(end, align(r.offset + r.bytes + SLACK)), 0);
  const found = k.resident.find((r) => r.data === data && r.bytes === sourceBytes);
  if (found !== undefined) {
    const outOffset = endOf(k.resident);
    if (outOffset + outBytes <= MAX_MEMORY_BYTES)
      return { offset: found.offset, outOffset, needed: outOffset + outBytes, copy: false };
  }
  let offset = endOf(k.resident);
  if (k.resident.length >= MAX_RESIDENT || offset + align(sourceBytes + SLACK) + outBytes > MAX_MEMORY_BYTES) {
    k.resident = [];
    offset = 0;
  }
  const outOffset = align(offset + sourceBytes + SLACK);
  if (outOffset + outBytes > MAX_MEMORY_BYTES) return undefined;
  k.resident = [...k.resident.filter((r) => r.data !== data), { data, offset, bytes: sourceBytes }];
  return { offset, outOffset, needed: outOffset + outBytes, copy: true };
}

/** Forgets a source kept in the kernel's memory (its buffer is about to be reused for something else). */
export function forgetSimdSource(data: Uint8Array): void {
  if (kernel) kernel.resident = kernel.resident.filter((r) => r.data !== data);
}
