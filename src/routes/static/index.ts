import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { StaticTarget } from '../../config/routes.js';
import { PROBLEM_TYPE, problemBody } from '../../server/problem.js';

/** What serving a file reads from the request. */
export interface StaticRequest {
  readonly method: string;
  /** The request path below the route's prefix, still percent-encoded: `''` or starting with `/`. */
  readonly path: string;
  /** The route's prefix as the client sees it (`/site`, or `''` for `/`): for redirects. */
  readonly prefix: string;
  /** The query string with its `?`, or `''`. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
}

/** Static routes are not served yet: 501 with the policy's headers. */
export async function serveStatic(_target: StaticTarget, _req: StaticRequest, res: ServerResponse | Http2ServerResponse, base: readonly string[]): Promise<number> {
  const body = problemBody(501, 'static routes are not served yet');
  (res as ServerResponse).writeHead(501, [...base, 'content-type', PROBLEM_TYPE, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
  return 501;
}
