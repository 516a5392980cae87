import { z } from 'zod';
import type { Operation } from './operation';
import { component } from './registry';

/** The document itself, as far as a client needs to know before reading it: an OpenAPI 3.1 description. */
export const OpenApiDocumentSchema = component(
  'OpenApiDocument',
  z
    .object({
      openapi: z.string().regex(/^3\.1\.\d+$/),
      info: z.object({ title: z.string(), version: z.string() }).loose(),
      paths: z.record(z.string(), z.unknown()),
    })
    .loose(),
  'This OpenAPI 3.1 document.',
);

export const openApiOperation: Operation = {
  functionName: 'openapi',
  operationId: 'getOpenApiDocument',
  method: 'GET',
  route: 'openapi.json',
  access: 'read',
  tag: 'Service',
  summary: 'This document: the OpenAPI 3.1 contract of every HTTP endpoint',
  description:
    'Generated from the zod schemas the functions validate their queries and bodies with and build their answers from, so it cannot drift from the code; linted in CI, and every answer the integration tests receive is validated against it.',
  answers: { 200: { description: 'The OpenAPI document.', body: OpenApiDocumentSchema } },
};
