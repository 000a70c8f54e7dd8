import { webcrypto } from 'node:crypto';
import type * as AsnCsr from '@peculiar/asn1-csr';
import type * as AsnSchema from '@peculiar/asn1-schema';
import type * as AsnX509 from '@peculiar/asn1-x509';
import type * as X509 from '@peculiar/x509';

export type X509Module = typeof X509;

/** The ASN.1 schemas @peculiar/x509 is built on, for what it cannot do itself (SM2). */
export interface Asn1Modules {
  schema: typeof AsnSchema;
  csr: typeof AsnCsr;
  x509: typeof AsnX509;
}

let x509Module: Promise<X509Module> | undefined;
let asn1Modules: Promise<Asn1Modules> | undefined;

/**
 * Loads @peculiar/x509 on first use: its import costs ~300 ms of cold start, which processes that
 * never sign should not pay. Since 2.x it pulls in tsyringe, which throws at import unless a
 * Reflect metadata polyfill is installed; the library only needs three functions of it, so a
 * minimal one is installed here instead of adding the reflect-metadata dependency.
 */
export function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    installReflectMetadata();
    const x509 = await import('@peculiar/x509');
    // Node's webcrypto is the WebCrypto API; its typings differ from the DOM ones x509 names.
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<X509Module['cryptoProvider']['set']>[0]);
    return x509;
  })().catch((error: unknown) => {
    x509Module = undefined;
    throw error;
  });
  return x509Module;
}

/** The ASN.1 schemas; loaded on first use, like @peculiar/x509 (see {@link loadX509}). */
export function loadAsn1(): Promise<Asn1Modules> {
  asn1Modules ??= (async () => {
    const [schema, csr, x509] = await Promise.all([
      import('@peculiar/asn1-schema'),
      import('@peculiar/asn1-csr'),
      import('@peculiar/asn1-x509'),
    ]);
    return { schema, csr, x509 };
  })().catch((error: unknown) => {
    asn1Modules = undefined;
    throw error;
  });
  return asn1Modules;
}

/** The subset of the Reflect Metadata API that tsyringe calls; leaves a real polyfill alone. */
function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  reflect.defineMetadata = (key: unknown, value: unknown, target: object) => {
    const own = store.get(target) ?? new Map<unknown, unknown>();
    own.set(key, value);
    store.set(target, own);
  };
  reflect.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
  reflect.getMetadata = (key: unknown, target: object) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const own = store.get(t);
      if (own?.has(key)) return own.get(key);
    }
    return undefined;
  };
}
