/**
 * Route templates as the Functions host (ASP.NET Core routing) understands them:
 * literals, `{name}`, optional `{name?}`, defaults `{name=value}`, constraints
 * `{id:int}` / `{name:alpha:maxlength(8)}`, catch-all `{*rest}`; literals match
 * case-insensitively and a trailing slash is ignored.
 */

type Constraint = (value: string) => boolean;

interface Param {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

export interface CompiledRoute {
  /** The path as `func start` prints it, e.g. `api/items/{id:int}`. */
  path: string;
  regex: RegExp;
  params: Param[];
  /** Lower sorts first: literal segments beat constrained parameters beat parameters beat catch-alls. */
  precedence: number[];
}

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const INTEGER = /^-?\d+$/;

function bigintIn(value: string, min: bigint, max: bigint): boolean {
  if (!INTEGER.test(value)) return false;
  const n = BigInt(value);
  return n >= min && n <= max;
}

function numberArgs(name: string, args: string | undefined, count: number[]): number[] {
  const list = (args ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '').map(Number);
  if (!count.includes(list.length) || list.some((n) => !Number.isFinite(n))) {
    throw new Error(`route constraint "${name}" needs ${count.join(' or ')} numeric argument(s)`);
  }
  return list;
}

function constraint(name: string, args: string | undefined): Constraint {
  const lower = name.toLowerCase();
  switch (lower) {
    case 'int':
      return (v) => bigintIn(v, BigInt(INT32[0]), BigInt(INT32[1]));
    case 'long':
      return (v) => bigintIn(v, -(2n ** 63n), 2n ** 63n - 1n);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'guid':
      return (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'decimal':
    case 'double':
    case 'float':
      return (v) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim());
    case 'required':
      return (v) => v !== '';
    case 'min': {
      const [min] = numberArgs(lower, args, [1]);
      return (v) => INTEGER.test(v) && Number(v) >= min!;
    }
    case 'max': {
      const [max] = numberArgs(lower, args, [1]);
      return (v) => INTEGER.test(v) && Number(v) <= max!;
    }
    case 'range': {
      const [min, max] = numberArgs(lower, args, [2]);
      return (v) => INTEGER.test(v) && Number(v) >= min! && Number(v) <= max!;
    }
    case 'minlength': {
      const [min] = numberArgs(lower, args, [1]);
      return (v) => v.length >= min!;
    }
    case 'maxlength': {
      const [max] = numberArgs(lower, args, [1]);
      return (v) => v.length <= max!;
    }
    case 'length': {
      const [a, b] = numberArgs(lower, args, [1, 2]);
      return b === undefined ? (v) => v.length === a : (v) => v.length >= a! && v.length <= b;
    }
    case 'regex': {
      // ASP.NET does not anchor regex constraints and matches them case-insensitively.
      const re = new RegExp(args ?? '', 'i');
      return (v) => re.test(v);
    }
    default:
      throw new Error(`unknown route constraint "${name}"`);
  }
}

/** Parses the inside of `{...}` (braces already unescaped). */
function parseParam(text: string): Param {
  let rest = text;
  const catchAll = rest.startsWith('*');
  rest = rest.replace(/^\*{1,2}/, '');
  let defaultValue: string | undefined;
  let optional = false;
  const nameMatch = /^[^:?=]+/.exec(rest);
  if (!nameMatch) throw new Error(`parameter "{${text}}" has no name`);
  const name = nameMatch[0].trim();
  rest = rest.slice(nameMatch[0].length);
  const constraints: Constraint[] = [];
  while (rest.startsWith(':')) {
    const m = /^:([A-Za-z]+)/.exec(rest);
    if (!m) throw new Error(`parameter "{${text}}" has an empty constraint`);
    rest = rest.slice(m[0].length);
    let args: string | undefined;
    if (rest.startsWith('(')) {
      // Arguments end at the first ")" followed by another constraint, "?", "=" or the end,
      // so a regex argument may itself contain parentheses.
      const close = /\)(?=$|[:?=])/.exec(rest);
      if (!close) throw new Error(`parameter "{${text}}" has an unclosed "("`);
      args = rest.slice(1, close.index);
      rest = rest.slice(close.index + 1);
    }
    constraints.push(constraint(m[1]!, args));
  }
  if (rest.startsWith('=')) {
    defaultValue = rest.slice(1);
    rest = '';
  }
  if (rest === '?') {
    optional = true;
    rest = '';
  }
  if (rest !== '') throw new Error(`parameter "{${text}}" is malformed near "${rest}"`);
  return { name, optional: optional || defaultValue !== undefined, catchAll, defaultValue, constraints };
}

type Token = { literal: string } | { param: Param };

function tokenize(segment: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if ((ch === '{' || ch === '}') && segment[i + 1] === ch) {
      literal += ch;
      i++;
    } else if (ch === '{') {
      let j = i + 1;
      let inner = '';
      for (; j < segment.length; j++) {
        if (segment[j] === '}' && segment[j + 1] === '}') {
          inner += '}';
          j++;
        } else if (segment[j] === '{' && segment[j + 1] === '{') {
          inner += '{';
          j++;
        } else if (segment[j] === '}') break;
        else inner += segment[j];
      }
      if (j >= segment.length) throw new Error(`unclosed "{" in "${segment}"`);
      if (literal) tokens.push({ literal });
      literal = '';
      tokens.push({ param: parseParam(inner) });
      i = j;
    } else if (ch === '}') {
      throw new Error(`unmatched "}" in "${segment}"`);
    } else {
      literal += ch;
    }
  }
  if (literal) tokens.push({ literal });
  return tokens;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '');
}

export function compileRoute(template: string, routePrefix: string): CompiledRoute {
  const segments = splitPath(template);
  const prefix = splitPath(routePrefix);
  const params: Param[] = [];
  const precedence: number[] = prefix.map(() => 1);
  let pattern = prefix.map((s) => `/${escape(s)}`).join('');
  try {
    const tokenized = segments.map(tokenize);
    const soleParam = (tokens: Token[]) => (tokens.length === 1 && 'param' in tokens[0]! ? tokens[0].param : undefined);
    tokenized.forEach((tokens, index) => {
      const last = index === segments.length - 1;
      const only = tokens.length === 1 ? tokens[0] : undefined;
      if (only && 'param' in only) {
        const p = only.param;
        if (p.catchAll && !last) throw new Error('a catch-all parameter must be the last segment');
        params.push(p);
        if (p.catchAll) {
          pattern += '(?:/(.*))?';
          precedence.push(5);
        } else if (p.optional) {
          const rest = tokenized.slice(index + 1).map(soleParam);
          if (!rest.every((q) => q && (q.optional || q.catchAll))) {
            throw new Error(`optional parameter "${p.name}" can only be followed by optional parameters`);
          }
          pattern += '(?:/([^/]+))?';
          precedence.push(4);
        } else {
          pattern += '/([^/]+)';
          precedence.push(p.constraints.length > 0 ? 3 : 4);
        }
        return;
      }
      let part = '/';
      for (const token of tokens) {
        if ('literal' in token) {
          part += escape(token.literal);
        } else {
          if (token.param.catchAll || token.param.optional) {
            throw new Error(`parameter "${token.param.name}" cannot be optional or catch-all inside a complex segment`);
          }
          params.push(token.param);
          // Greedy, so later parameters get the shortest match: ASP.NET matches complex segments right to left.
          part += '([^/]+)';
        }
      }
      pattern += part;
      precedence.push(tokens.every((t) => 'literal' in t) ? 1 : 2);
    });
    const names = params.map((p) => p.name.toLowerCase());
    const dupe = names.find((n, i) => names.indexOf(n) !== i);
    if (dupe) throw new Error(`parameter "${dupe}" appears more than once`);
  } catch (e) {
    throw new Error(`Invalid route template "${template}": ${(e as Error).message}`);
  }
  return {
    path: [...prefix, ...segments].join('/'),
    regex: new RegExp(`^${pattern}/?$`, 'i'),
    params,
    precedence,
  };
}

/** Route values for `pathname` (still percent-encoded), or undefined when it does not match. */
export function matchRoute(route: CompiledRoute, pathname: string): Record<string, string> | undefined {
  const m = route.regex.exec(pathname);
  if (!m) return undefined;
  const values: Record<string, string> = {};
  for (const [i, p] of route.params.entries()) {
    const raw = m[i + 1];
    if (raw === undefined || raw === '') {
      if (p.defaultValue !== undefined) values[p.name] = p.defaultValue;
      else if (!p.optional && !p.catchAll) return undefined;
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!p.constraints.every((c) => c(value))) return undefined;
    values[p.name] = value;
  }
  return values;
}

export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const d = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface RouteEntry<T> {
  route: CompiledRoute;
  /** Upper-case; empty means every method. */
  methods: string[];
  value: T;
}

/** Routes in precedence order; the first whose template and method both match wins. */
export class RouteTable<T> {
  readonly #entries: RouteEntry<T>[] = [];

  add(template: string, routePrefix: string, methods: readonly string[] | undefined, value: T): RouteEntry<T> {
    const entry = { route: compileRoute(template, routePrefix), methods: (methods ?? []).map((m) => m.toUpperCase()), value };
    this.#entries.push(entry);
    // Array.prototype.sort is stable, so equal precedence keeps registration order.
    this.#entries.sort((a, b) => comparePrecedence(a.route, b.route));
    return entry;
  }

  match(method: string, pathname: string): { entry: RouteEntry<T>; params: Record<string, string> } | undefined {
    const m = method.toUpperCase();
    for (const entry of this.#entries) {
      if (entry.methods.length > 0 && !entry.methods.includes(m)) continue;
      const params = matchRoute(entry.route, pathname);
      if (params) return { entry, params };
    }
    return undefined;
  }
}
