/** Who is signed in: the bearer token, kept for this browser tab only (sessionStorage). */
export interface Identity {
  sub: string;
  account: string;
  roles: string[];
  exp?: number;
}

const KEY = 'certrevoke.token';

export function currentToken(): string | undefined {
  const token = sessionStorage.getItem(KEY) ?? undefined;
  if (!token) return undefined;
  const id = identityOf(token);
  if (!id || (id.exp !== undefined && id.exp * 1000 <= Date.now())) {
    signOut();
    return undefined;
  }
  return token;
}

export function signIn(token: string): Identity | undefined {
  const id = identityOf(token.trim());
  if (!id) return undefined;
  sessionStorage.setItem(KEY, token.trim());
  return id;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

export function identity(): Identity | undefined {
  const token = currentToken();
  return token ? identityOf(token) : undefined;
}

/**
 * The claims the console shows (who, which account, which roles). Read, not verified: the API
 * verifies the token on every call, and this only decides what to show.
 */
function identityOf(token: string): Identity | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))) as Record<string, unknown>;
    const roles = Array.isArray(json.roles) ? json.roles.map(String) : typeof json.roles === 'string' ? json.roles.replace(/[[\]]/g, '').split(/[\s,]+/).filter(Boolean) : [];
    if (typeof json.sub !== 'string') return undefined;
    return { sub: json.sub, account: typeof json.account === 'string' ? json.account : '', roles, ...(typeof json.exp === 'number' ? { exp: json.exp } : {}) };
  } catch {
    return undefined;
  }
}
