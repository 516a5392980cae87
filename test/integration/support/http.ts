import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Kept-alive connections for `reuse`: a TLS handshake per request made pushing test
 * images to the registry most of some tests' time. Idle sockets close after 4 s, before
 * Node servers' 5 s keep-alive timeout can close one under a request.
 */
const agents = { 'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }), 'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }) };

/**
 * Minimal request over Node's http/https. HTTPS uses the default trust store, so a
 * test registry is trusted only through NODE_EXTRA_CA_CERTS; verification stays on.
 * Non-2xx statuses resolve (callers assert on them); only transport errors reject.
 */
export function request(
  url: string | URL,
  {
    method = 'GET',
    headers = {},
    body,
    timeoutMs = 15_000,
    reuse = false,
  }: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
    timeoutMs?: number;
    /**
     * Reuse a kept-alive connection. Only for peers that never close one under a request
     * (the registry): the local host closes connections after refusing a body, and a
     * request racing that close sees a reset.
     */
    reuse?: boolean;
  } = {},
): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const mod = target.protocol === 'https:' ? https : http;
  const allHeaders: Record<string, string | number> = { ...headers };
  if (body !== undefined) allHeaders['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = mod.request(target, { method, headers: allHeaders, agent: reuse ? agents[target.protocol as 'http:' | 'https:'] : false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${target.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A single header value (Node joins repeats for most headers; arrays only for set-cookie). */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
