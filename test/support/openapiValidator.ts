/**
 * Validates values against the schemas of an OpenAPI 3.1 document with Ajv (JSON Schema
 * 2020-12), as a client reading the document would: what is checked is the generated JSON
 * Schema, not the zod schemas it came from.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** A JSON pointer (`#/…`) from its segments, each escaped. */
export const pointer = (...segments: string[]): string => `#/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** The pointer of the body schema of an operation's answer. */
export const answerSchema = (path: string, method: string, status: number | string, mediaType = 'application/json') =>
  pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', mediaType, 'schema');

/** `validate(at, value)`: undefined when `value` matches the schema at `at`, else what does not. */
export function openApiValidator(document: object): (at: string, value: unknown) => string | undefined {
  // `strict: false`: the document around the schemas has OpenAPI's own keywords.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  return (at, value) => {
    const validate = ajv.getSchema(`openapi.json${at}`);
    if (!validate) return `the document has no schema at ${at}`;
    return validate(value) ? undefined : ajv.errorsText(validate.errors, { separator: '; ' });
  };
}
