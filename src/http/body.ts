import type { HttpRequest } from '@azure/functions';
import type { DetailsOf, TooLarge } from './contract/errors';
import { HttpProblem, problem } from './responses';

/**
 * Reads a JSON body of at most `maxBytes`. A declared Content-Length over the limit is
 * refused before reading anything; a body that turns out longer is cut off while reading.
 * With HTTP streams (src/index.ts) this is what bounds the memory a request can take.
 */
export async function readJsonBody(request: HttpRequest, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new HttpProblem(problem(413, `request body is larger than ${maxBytes} bytes`, { limitBytes: maxBytes } satisfies DetailsOf<TooLarge>));
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body) {
    try {
      for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > maxBytes) throw tooLarge();
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof HttpProblem) throw e;
      // A streamed body fails to read when the sender goes away mid-body (or the host cuts it off).
      throw new HttpProblem(problem(400, `could not read the request body: ${(e as Error).message}`));
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpProblem(problem(400, 'request body is empty; expected JSON'));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpProblem(problem(400, `request body is not valid JSON: ${(e as Error).message}`));
  }
}
