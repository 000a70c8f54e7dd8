import type { Api } from './api.js';
import type { ConsoleConfig } from './main.js';

/** What every view gets: the API as the signed-in user, the deployment's config, and page helpers. */
export interface Context {
  api: Api;
  config: ConsoleConfig;
  /** Announces a short message in the status line (a polite live region). */
  say: (message: string) => void;
  navigate: (hash: string) => void;
}

/** A page: its element, what it loads once shown, and what it stops when left (timers, polling). */
export interface View {
  element: HTMLElement;
  load?: () => Promise<void>;
  leave?: () => void;
}
