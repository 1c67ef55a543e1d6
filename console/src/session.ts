// The signed-in key: kept in this tab's session storage only, and only ever used to sign.

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const KEY = 'coldvault.session';

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Session;
    if (value.accessKeyId && value.secretAccessKey && value.region) return value;
  } catch {
    // A damaged entry: treated as signed out.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
