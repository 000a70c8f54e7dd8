import type { CrlEntry } from '../app/ports.js';

/** The signed CRL as last stored, with the cRLNumber it carries. */
export interface StoredCrl {
  der: Uint8Array;
  crlNumber: number;
}

/**
 * What the CA publishes for anyone to fetch: its certificate and its current CRL. The public
 * routes read only this, so they hold no access to the CA's key.
 */
export interface CaPublication {
  /** The CA certificate, PEM; `undefined` before the CA is published. */
  loadCaCertificate(): Promise<string | undefined>;
  /** The current CRL, read consistently; `undefined` before the first one is saved. */
  loadCrl(): Promise<StoredCrl | undefined>;
}

/** Where the embedded CA keeps its revocations, its current CRL and its published certificate (a table on AWS and locally). */
export interface CrlStore extends CaPublication {
  /** Publishes the CA certificate; the same certificate again changes nothing. */
  saveCaCertificate(pem: string): Promise<void>;
  /** Records the entries; a serial already recorded keeps its first entry (first write wins). */
  addEntries(entries: CrlEntry[]): Promise<void>;
  /** Every recorded entry, read consistently: a listing follows every completed `addEntries`. */
  listEntries(): Promise<CrlEntry[]>;
  /**
   * Replaces the current CRL only if the stored cRLNumber is still `expectedPrevious`
   * (`undefined`: no CRL stored yet), so concurrent re-signs never move the CRL backwards.
   * False when another writer got there first: re-read and re-sign.
   */
  saveCrl(der: Uint8Array, crlNumber: number, expectedPrevious: number | undefined): Promise<boolean>;
}
