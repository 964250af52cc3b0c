import { STATUS_CODES } from 'node:http';

// Errors as RFC 9457 problem details.
export const PROBLEM_TYPE = 'application/problem+json';

export function problemBody(status: number, detail?: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, ...(detail ? { detail } : {}), ...extra });
}
