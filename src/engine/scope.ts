// Memory scopes for native tensors. JavaScript's garbage collector cannot see
// LibTorch's memory, so a training loop frees its intermediates deterministically:
// `tidy(fn)` disposes every tensor created inside fn except those it returns or
// `keep()`s. The native finalizer remains a safety net for anything forgotten.
export interface Disposable {
  dispose(): void;
}

const stack: Set<Disposable>[] = [];

export function track<T extends Disposable>(x: T): T {
  stack[stack.length - 1]?.add(x);
  return x;
}

/** Removes x from the innermost scope so it outlives it (model parameters, caches). */
export function untrack<T extends Disposable>(x: T): T {
  stack[stack.length - 1]?.delete(x);
  return x;
}

function collect(value: unknown, into: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (stack.length && isTracked(value)) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, depth + 1);
}

function isTracked(value: object): value is Disposable {
  return stack[stack.length - 1]!.has(value as Disposable);
}

/**
 * Runs fn in a new scope. Tensors it returns (directly, in arrays or in plain
 * objects) move to the enclosing scope; every other tensor created inside is freed.
 */
export function tidy<R>(fn: () => R): R {
  const scope = new Set<Disposable>();
  stack.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const x of scope) x.dispose();
    throw e;
  }
  if (result instanceof Promise) throw new Error('tidy() takes a synchronous function; await outside it');
  const kept = new Set<Disposable>();
  collect(result, kept);
  stack.pop();
  for (const x of scope) if (!kept.has(x)) x.dispose();
  for (const x of kept) track(x);
  return result;
}

/** Number of tensors alive in the current scope (for tests and leak hunting). */
export function scopeSize(): number {
  return stack[stack.length - 1]?.size ?? 0;
}
