/**
 * A function's handler, loaded once per process as in a warm Lambda, for the gateway, the
 * workflow engine and the letter queue alike: `import()` of a module already loaded still
 * resolves it through the loader hooks (a round trip to tsx's thread), once per call otherwise.
 * A failed load is forgotten, so the next call tries again.
 */
const loaded = new Map<string, Promise<unknown>>();

export function loadFunctionHandler<H>(name: string): Promise<H> {
  let loading = loaded.get(name);
  if (!loading) {
    loading = import(`../../functions/${name}.js`).then((module: { handler: unknown }) => module.handler);
    loading.catch(() => loaded.delete(name));
    loaded.set(name, loading);
  }
  return loading as Promise<H>;
}
