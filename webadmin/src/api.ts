// The management API over HTTP: the app knows the server only by its URL.

export interface FieldError {
  readonly code: string;
  readonly key: string | null;
  readonly message: string;
}

/** The API answered with a problem (4xx/5xx). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: readonly FieldError[],
  ) {
    super(message);
  }
}

/** fetch() itself failed: for a page on another origin, almost always CORS. */
export class NetworkError extends Error {
  constructor(readonly server: string) {
    const origin = window.location.origin;
    super(
      new URL(server).origin === origin
        ? `Could not reach the server at ${server}.`
        : `The server at ${server} does not allow this origin (${origin}): enable http.permissive-cors or add it to http.cors.allowed-origins.`,
    );
  }
}

export function normalizeServer(url: string): string {
  const u = new URL(url.trim());
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('the server URL must start with http:// or https://');
  return u.origin;
}

export async function call<T>(server: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    if (err instanceof TypeError) throw new NetworkError(server);
    throw err;
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const p = (json ?? {}) as { detail?: unknown; errors?: unknown };
    const errors = Array.isArray(p.errors) ? (p.errors as FieldError[]) : [];
    throw new ApiError(res.status, typeof p.detail === 'string' ? p.detail : `${res.status} ${res.statusText}`, errors);
  }
  return (json as { data: T } | undefined)?.data as T;
}

export type Change =
  | { type: 'insert'; prefix: string | null; values: [string, string][]; assert_empty: boolean }
  | { type: 'delete'; keys: string[] }
  | { type: 'clear'; prefix: string };

export interface Finding {
  code: string;
  severity: 'high' | 'medium' | 'low' | 'info';
  key: string | null;
  message: string;
}

export interface ApiKey {
  id: string;
  name: string;
  account: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  keys: string[];
  changes: unknown[];
  ip?: string;
}
