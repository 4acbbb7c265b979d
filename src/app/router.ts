import type { CompiledOperation } from '../spec/registry';
import { decodedPath } from './request-input';

/** The operations of one path, by upper-case method. */
export type Route = ReadonlyMap<string, CompiledOperation>;

/** Where a request path leads: its operations, the api they belong to, the path parameters' texts. */
export interface RouteMatch {
  route: Route;
  api: string;
  /** The path as routed (percent-decoded), for the log. */
  path: string;
  /** Each template variable's segment, percent-decoded; empty for an exact path. */
  pathParameters: Readonly<Record<string, string>>;
}

interface Template {
  /** Per segment: the literal it must equal (decoded), or a pattern capturing variables. */
  segments: Array<string | { pattern: RegExp; names: string[] }>;
  route: Map<string, CompiledOperation>;
  api: string;
}

const NO_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({});
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function templateSegment(segment: string): Template['segments'][number] {
  if (!segment.includes('{')) return segment;
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const match of segment.matchAll(/\{([^}]+)\}/g)) {
    source += `${escapeRegExp(segment.slice(last, match.index))}(.+?)`;
    names.push(match[1]);
    last = match.index + match[0].length;
  }
  return { pattern: new RegExp(`^${source}${escapeRegExp(segment.slice(last))}$`, 's'), names };
}

/**
 * Routes a request path to its operations, built once at start-up. An exact path is one Map
 * lookup on the percent-decoded path, as Starlette routes (`/auth%2Frefresh` is
 * `/auth/refresh`). A templated path (`/users/{user_id}/refresh`) is tried only when no exact
 * one matches, segment by segment, each segment percent-decoded on its own (so `%2F` stays
 * inside a variable); templates with fewer variables are tried first (OpenAPI: concrete paths
 * win), then in the order the documents declare them.
 */
export class Router {
  private readonly exact = new Map<string, RouteMatch>();
  private readonly templates: Template[] = [];

  constructor(operations: Iterable<CompiledOperation>) {
    const templated = new Map<string, Template>();
    for (const operation of operations) {
      if (!operation.path.includes('{')) {
        const match = this.exact.get(operation.path) ?? { route: new Map(), api: operation.api, path: operation.path, pathParameters: NO_PARAMETERS };
        (match.route as Map<string, CompiledOperation>).set(operation.method, operation);
        this.exact.set(operation.path, match);
        continue;
      }
      let template = templated.get(operation.path);
      if (!template) {
        template = { segments: operation.path.split('/').map(templateSegment), route: new Map(), api: operation.api };
        templated.set(operation.path, template);
        this.templates.push(template);
      }
      template.route.set(operation.method, operation);
    }
    const variables = (template: Template) => template.segments.filter((segment) => typeof segment !== 'string').length;
    this.templates.sort((a, b) => variables(a) - variables(b));
  }

  /** The route of a raw request path (query removed, not decoded); undefined when no api serves it. */
  match(rawPath: string): RouteMatch | undefined {
    const exact = this.exact.get(decodedPath(rawPath));
    if (exact !== undefined || this.templates.length === 0) return exact;
    return this.matchTemplate(rawPath);
  }

  /** The route of an exact (untemplated) path, already decoded. */
  matchExact(path: string): RouteMatch | undefined {
    return this.exact.get(path);
  }

  /** The route of a raw path among the templated ones only. */
  matchTemplate(rawPath: string): RouteMatch | undefined {
    const segments = rawPath.split('/');
    for (const template of this.templates) {
      const parameters = matchSegments(template, segments);
      if (parameters) return { route: template.route, api: template.api, path: decodedPath(rawPath), pathParameters: parameters };
    }
    return undefined;
  }
}

function matchSegments(template: Template, rawSegments: string[]): Record<string, string> | undefined {
  if (template.segments.length !== rawSegments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < rawSegments.length; i++) {
    const expected = template.segments[i];
    const segment = decodedPath(rawSegments[i]);
    if (typeof expected === 'string') {
      if (segment !== expected) return undefined;
      continue;
    }
    const found = expected.pattern.exec(segment);
    if (!found) return undefined;
    expected.names.forEach((name, index) => (parameters[name] = found[index + 1]));
  }
  return parameters;
}
