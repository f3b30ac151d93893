// LibTorch's global random state (sampling, dropout, initialisation) and threads.
// The state is a byte string, so a checkpoint can store it and resume exactly.
import { native } from './native.js';

export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
export function getRngState(): Uint8Array {
  return native.getRngState();
}
export function setRngState(state: Uint8Array): void {
  native.setRngState(state);
}
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}
