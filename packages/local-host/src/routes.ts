/**
 * HTTP routes the way the apps this host serves declare them: literal paths under the
 * routePrefix, matched case-insensitively with a trailing slash ignored, as the Functions
 * host does. A template with route parameters (`{id}`) is refused at start-up rather than
 * served with semantics that differ from Azure's.
 */

export class RouteTemplateError extends Error {
  constructor(readonly template: string) {
    super(`route "${template}" has route parameters, which the local host does not support: use a literal route and the query string`);
    this.name = 'RouteTemplateError';
  }
}

export interface Route<T> {
  /** The path as `func start` prints it, e.g. `api/webhooks/acr`. */
  path: string;
  /** Upper-case; empty means every method. */
  methods: string[];
  value: T;
}

const segments = (p: string) => p.split('/').filter((s) => s !== '');

function key(pathname: string): string {
  const lower = pathname.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** Routes in registration order; the first whose path and method both match wins. */
export class RouteTable<T> {
  readonly #routes: Route<T>[] = [];

  add(template: string, routePrefix: string, methods: readonly string[] | undefined, value: T): Route<T> {
    if (/[{}]/.test(template)) throw new RouteTemplateError(template);
    const route = { path: [...segments(routePrefix), ...segments(template)].join('/'), methods: (methods ?? []).map((m) => m.toUpperCase()), value };
    this.#routes.push(route);
    return route;
  }

  /** `pathname` as it came in (still percent-encoded). */
  match(method: string, pathname: string): Route<T> | undefined {
    const m = method.toUpperCase();
    const wanted = key(pathname);
    return this.#routes.find((r) => `/${r.path.toLowerCase()}` === wanted && (r.methods.length === 0 || r.methods.includes(m)));
  }
}
