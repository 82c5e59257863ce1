import type { OpenAPIObject } from '@nestjs/swagger';

const TAG_ORDER = ['public', 'internal', 'health'];
const METHOD_ORDER = ['get', 'post', 'put', 'patch', 'delete'];

interface Operation {
  method: string;
  path: string;
  tag: string;
  summary?: string;
  parameters: { name: string; in: string; description?: string }[];
  bodyDescription?: string;
  responses: [string, string][];
}

function operationsOf(document: OpenAPIObject): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHOD_ORDER) {
      const op = (item as Record<string, unknown>)[method] as
        | {
            tags?: string[];
            summary?: string;
            parameters?: { name: string; in: string; description?: string }[];
            requestBody?: { description?: string };
            responses?: Record<string, { description?: string }>;
          }
        | undefined;
      if (op === undefined) continue;
      operations.push({
        method,
        path,
        tag: op.tags?.[0] ?? 'other',
        summary: op.summary,
        parameters: op.parameters ?? [],
        bodyDescription: op.requestBody?.description,
        responses: Object.entries(op.responses ?? {})
          .map(([status, r]): [string, string] => [status, r.description ?? ''])
          .sort(([a], [b]) => a.localeCompare(b)),
      });
    }
  }
  const rank = (tag: string) => {
    const i = TAG_ORDER.indexOf(tag);
    return i === -1 ? TAG_ORDER.length : i;
  };
  return operations.sort(
    (a, b) =>
      rank(a.tag) - rank(b.tag) ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
  );
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Routes of an OpenAPI document that lack a summary or a documented response: each is a
 * route that docs/api.md would describe with nothing. Returns `METHOD /path` strings.
 */
export function undocumentedOperations(document: OpenAPIObject): string[] {
  return operationsOf(document)
    .filter((op) => !op.summary || op.responses.some(([, description]) => description === ''))
    .map((op) => `${op.method.toUpperCase()} ${op.path}`);
}

/**
 * A Markdown reference of every route of an OpenAPI document (as a service serves it at
 * `GET /docs`): per route its method and path, summary, path and query parameters, body, and
 * one row per status with what the answer holds (error codes included). Public routes come
 * first, then internal, then health; within each, by path. Deterministic: the same document
 * always gives the same text, so docs/api.md can be checked against it.
 */
export function renderOpenApiMarkdown(document: OpenAPIObject): string {
  const lines: string[] = [];
  const headings: Record<string, string> = {
    public: 'Public (server to server)',
    internal: 'Internal (`/api/v1`)',
    health: 'Health',
    other: 'Other',
  };
  let currentTag: string | undefined;
  for (const op of operationsOf(document)) {
    if (op.tag !== currentTag) {
      currentTag = op.tag;
      lines.push(`### ${headings[op.tag] ?? op.tag}`, '');
    }
    lines.push(`#### \`${op.method.toUpperCase()} ${op.path}\``, '');
    if (op.summary) lines.push(op.summary, '');
    const params = op.parameters.map(
      (p) => `- ${p.in} parameter \`${p.name}\`${p.description ? `: ${p.description}` : ''}`,
    );
    if (op.bodyDescription) params.push(`- body: ${op.bodyDescription}`);
    if (params.length > 0) lines.push(...params, '');
    lines.push('| status | answer |', '|---|---|');
    for (const [status, description] of op.responses) {
      lines.push(`| ${status} | ${cell(description)} |`);
    }
    lines.push('');
  }
  return lines.join('\n').replace(/\n+$/, '');
}

const begin = (name: string) => `<!-- generated:${name} -->`;
const end = (name: string) => `<!-- /generated:${name} -->`;

/**
 * The text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in a Markdown
 * document (without the surrounding newlines), or null when the markers are missing.
 */
export function generatedSection(text: string, name: string): string | null {
  const from = text.indexOf(begin(name));
  const to = text.indexOf(end(name));
  if (from === -1 || to === -1 || to < from) return null;
  return text.slice(from + begin(name).length, to).replace(/^\n+|\n+$/g, '');
}

/**
 * `text` with the section NAME replaced by `content` (see generatedSection).
 * @throws Error when the markers are missing, so a generator never silently writes nothing.
 */
export function withGeneratedSection(text: string, name: string, content: string): string {
  const from = text.indexOf(begin(name));
  const to = text.indexOf(end(name));
  if (from === -1 || to === -1 || to < from) {
    throw new Error(`no ${begin(name)} ... ${end(name)} markers`);
  }
  return `${text.slice(0, from + begin(name).length)}\n\n${content.replace(/\n+$/, '')}\n\n${text.slice(to)}`;
}
