import {
  buildOpenApiDocument,
  generatedSection,
  renderOpenApiMarkdown,
  undocumentedOperations,
} from '@pager/server-kit';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { discoveryService } from './discovery.service-definition';

const API_MD = path.resolve(__dirname, '../../../../docs/api.md');

describe('docs/api.md, discovery daemon', () => {
  let document: OpenAPIObject;

  beforeAll(async () => {
    document = await buildOpenApiDocument(discoveryService);
  }, 60_000);

  it('documents every route with a summary and a meaning for each status', () => {
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    expect(undocumentedOperations(document)).toEqual([]);
  });

  it('is what npm run docs:api renders from the OpenAPI document the service serves', () => {
    const written = generatedSection(readFileSync(API_MD, 'utf8'), 'api:discovery');
    expect(written).toBe(renderOpenApiMarkdown(document));
  });
});
