import {
  buildOpenApiDocument,
  generatedSection,
  renderOpenApiMarkdown,
  undocumentedOperations,
} from '@pager/server-kit';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adapterService } from './adapter.service-definition';

const API_MD = path.resolve(__dirname, '../../../../docs/api.md');

describe('docs/api.md, federation adapter', () => {
  let document: OpenAPIObject;

  beforeAll(async () => {
    document = await buildOpenApiDocument(adapterService);
  }, 60_000);

  it('documents every route with a summary and a meaning for each status', () => {
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    expect(undocumentedOperations(document)).toEqual([]);
  });

  it('is what npm run docs:api renders from the OpenAPI document the service serves', () => {
    const written = generatedSection(readFileSync(API_MD, 'utf8'), 'api:adapter');
    expect(written).toBe(renderOpenApiMarkdown(document));
  });
});
