import type { OpenAPIObject } from '@nestjs/swagger';
import { errorCodesByStatus } from './api-route.decorator';
import {
  generatedSection,
  renderOpenApiMarkdown,
  undocumentedOperations,
  withGeneratedSection,
} from './openapi-markdown';

const document = (paths: Record<string, unknown>): OpenAPIObject =>
  ({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths }) as OpenAPIObject;

const documented = document({
  '/api/v1/users/{userId}': {
    delete: {
      tags: ['internal'],
      summary: 'Deletes.',
      parameters: [{ name: 'userId', in: 'path' }],
      responses: { '404': { description: 'error `not_found`' }, '204': { description: 'gone' } },
    },
    get: { tags: ['internal'], summary: 'Reads.', responses: { '200': { description: 'it' } } },
  },
  '/discovery/gossip': {
    post: {
      tags: ['public'],
      summary: 'Gossips.',
      requestBody: { description: 'an envelope' },
      responses: { '200': { description: 'a reply' } },
    },
  },
});

describe(errorCodesByStatus.name, () => {
  it('adds unauthorized to internal routes and invalid_json, payload_too_large to bodies', () => {
    const byStatus = errorCodesByStatus({ access: 'internal', body: '{}', errors: ['not_found'] });
    expect([...byStatus.entries()]).toEqual([
      [400, ['invalid_json']],
      [401, ['unauthorized']],
      [404, ['not_found']],
      [413, ['payload_too_large']],
    ]);
  });

  it('adds nothing to a public route without a body', () => {
    expect([...errorCodesByStatus({ access: 'public', errors: ['blocked'] }).entries()]).toEqual([
      [403, ['blocked']],
    ]);
  });
});

describe(renderOpenApiMarkdown.name, () => {
  it('lists public routes first, then by path and method, with parameters, body and statuses', () => {
    const sut = renderOpenApiMarkdown(documented);
    expect(sut.indexOf('`POST /discovery/gossip`')).toBeLessThan(
      sut.indexOf('`GET /api/v1/users/{userId}`'),
    );
    expect(sut.indexOf('`GET /api/v1/users/{userId}`')).toBeLessThan(
      sut.indexOf('`DELETE /api/v1/users/{userId}`'),
    );
    expect(sut).toContain('- path parameter `userId`');
    expect(sut).toContain('- body: an envelope');
    expect(sut).toContain('| 204 | gone |\n| 404 | error `not_found` |');
  });

  it('is deterministic', () => {
    expect(renderOpenApiMarkdown(documented)).toBe(renderOpenApiMarkdown(documented));
  });
});

describe(undocumentedOperations.name, () => {
  it('names routes without a summary or with a status of no meaning', () => {
    const sut = document({
      '/a': { get: { responses: { '200': { description: 'ok' } } } },
      '/b': { post: { summary: 'B.', responses: { '201': { description: '' } } } },
      '/c': { put: { summary: 'C.', responses: { '200': { description: 'ok' } } } },
    });
    expect(undocumentedOperations(sut)).toEqual(['GET /a', 'POST /b']);
    expect(undocumentedOperations(documented)).toEqual([]);
  });
});

describe('generated sections', () => {
  const text = 'intro\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nend\n';

  it('replaces the text between the markers and reads it back', () => {
    const sut = withGeneratedSection(text, 'x', 'new\ncontent\n');
    expect(sut).toBe('intro\n<!-- generated:x -->\n\nnew\ncontent\n\n<!-- /generated:x -->\nend\n');
    expect(generatedSection(sut, 'x')).toBe('new\ncontent');
  });

  it('refuses to write a section whose markers are missing', () => {
    expect(() => withGeneratedSection(text, 'y', 'z')).toThrow('generated:y');
    expect(generatedSection(text, 'y')).toBeNull();
  });
});
