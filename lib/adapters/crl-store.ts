import type { CrlEntry } from '../app/ports.js';

/** The signed CRL as last stored, with the cRLNumber it carries. */
export interface StoredCrl {
  der: Uint8Array;
  crlNumber: number;
}

/** Where the embedded CA keeps its revocations and its current CRL (a table on AWS and locally). */
export interface CrlStore {
  /** Records the entries; a serial already recorded keeps its first entry (first write wins). */
  addEntries(entries: CrlEntry[]): Promise<void>;
  /** Every recorded entry, read consistently: a listing follows every completed `addEntries`. */
  listEntries(): Promise<CrlEntry[]>;
  /** The current CRL, read consistently; `undefined` before the first one is saved. */
  loadCrl(): Promise<StoredCrl | undefined>;
  /**
   * Replaces the current CRL only if the stored cRLNumber is still `expectedPrevious`
   * (`undefined`: no CRL stored yet), so concurrent re-signs never move the CRL backwards.
   * False when another writer got there first: re-read and re-sign.
   */
  saveCrl(der: Uint8Array, crlNumber: number, expectedPrevious: number | undefined): Promise<boolean>;
}
