import { z } from 'zod';

/** What the OpenAPI document is generated with: `id` makes a schema a named component, `description` documents it. */
export interface ContractMeta {
  id?: string;
  description?: string;
}

/**
 * The HTTP contract's schemas and their documentation. A registry of its own rather than
 * zod's global one, so the document's components are exactly the schemas named here.
 */
export const contractRegistry = z.registry<ContractMeta>();

/** A schema that is a named component of the document (`#/components/schemas/<id>`), returned as it is for the code to use. */
export function component<S extends z.ZodType>(id: string, schema: S, description: string): S {
  // zod's registry would let a second schema take the id silently, and the document would lose the first.
  if (contractRegistry._idmap.has(id)) throw new Error(`contract component ${id} is defined twice`);
  contractRegistry.add(schema, { id, description });
  return schema;
}

/**
 * A copy of a field or query parameter schema that carries its description. A copy, so a
 * schema shared by several parameters (`digestParam` as `from` and `to`) keeps its own.
 */
export function described<S extends z.ZodType>(schema: S, description: string): S {
  const copy = schema.clone();
  contractRegistry.add(copy, { description });
  return copy;
}
