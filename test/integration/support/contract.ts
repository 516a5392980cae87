/**
 * Every answer the tests receive through the app helpers is checked against the OpenAPI
 * document the app itself serves (GET /api/openapi.json): the operation must be in it,
 * the status documented for it, and the body valid against that status's schema (or
 * empty when it documents none). A mismatch throws, naming what differs.
 */
import { answerSchema, openApiValidator } from '../../support/openapiValidator';
import { header, request, type HttpResponse } from './http';

/** Throws when the answer is not what the document says `method path` answers. */
export type ContractCheck = (method: string, url: URL, res: HttpResponse) => void;

interface Document {
  servers: { url: string }[];
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

const shown = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

export async function loadContract(baseUrl: string, headers: Record<string, string> = {}): Promise<ContractCheck> {
  const url = new URL(`${baseUrl}/api/openapi.json`);
  const res = await request(url, { headers });
  if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}: ${shown(res.body.toString('utf8'))}`);
  const document = JSON.parse(res.body.toString('utf8')) as Document;
  const validate = openApiValidator(document);
  const prefix = document.servers[0]!.url;

  const check: ContractCheck = (method, url, res) => {
    const what = `${method} ${url.pathname}${url.search} answered ${res.status}`;
    // Routes match as the host matches them: a trailing slash is ignored.
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length).replace(/(.)\/+$/, '$1') : undefined;
    const operation = path === undefined ? undefined : document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${what}: the OpenAPI document has no ${method} ${url.pathname} (src/http/contract/operations.ts lists the operations)`);
    const answer = operation.responses[String(res.status)];
    const text = res.body.toString('utf8');
    if (!answer)
      throw new Error(`${what}, a status the OpenAPI document does not list for it (${Object.keys(operation.responses).join(', ')}): ${shown(text)}`);
    if (!answer.content) {
      if (text.length > 0) throw new Error(`${what} with a body, where the OpenAPI document says it has none: ${shown(text)}`);
      return;
    }
    const type = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    if (!(type in answer.content))
      throw new Error(`${what} as ${type || 'no content type'}, where the OpenAPI document says ${Object.keys(answer.content).join(' or ')}`);
    if (type !== 'application/json') return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new Error(`${what} with a body that is not JSON (${(e as Error).message}): ${shown(text)}`, { cause: e });
    }
    const at = answerSchema(path!, method, res.status);
    const problem = validate(at, body);
    if (problem) throw new Error(`${what} with a body that does not match the OpenAPI document (${at}): ${problem}\nbody: ${shown(text, 2000)}`);
  };
  // The document's own answer is part of the contract too.
  check('GET', url, res);
  return check;
}
