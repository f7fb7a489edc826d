/**
 * A motion-blur kernel: a `size` × `size` line through the centre at `angle` degrees (0 is
 * horizontal, positive turns clockwise on screen), sampled at sub-pixel steps so that diagonal
 * lines weigh as much as straight ones. Weights sum to `scale` (integers, as sharp's convolve wants).
 */
export function motionKernel(size: number, angle: number): { kernel: number[]; scale: number } {
  const kernel = new Array<number>(size * size).fill(0);
  const c = (size - 1) / 2;
  const dx = Math.cos((angle * Math.PI) / 180);
  const dy = Math.sin((angle * Math.PI) / 180);
  const steps = size * 8;
  for (let s = 0; s <= steps; s++) {
    const t = -c + (2 * c * s) / steps;
    const x = Math.round(c + dx * t);
    const y = Math.round(c + dy * t);
    kernel[y * size + x] = (kernel[y * size + x] as number) + 1;
  }
  return { kernel, scale: kernel.reduce((a, b) => a + b, 0) };
}
