import type { OpenAPIObject } from '@nestjs/swagger';
import {
  buildOpenApiDocument,
  CommonConfig,
  generatedSection,
  renderOpenApiMarkdown,
  ServiceDefinition,
  undocumentedOperations,
} from '@pager/server-kit';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** `docs/api.md` of this repository (the file `npm run docs:api` writes). */
export const API_MD_PATH = path.resolve(__dirname, '../../../../../docs/api.md');

/**
 * Declares a Jest suite that holds `docs/api.md` to the service's real OpenAPI document:
 * every operation has a summary and a meaning for each status it answers, and the generated
 * section `section` (e.g. `api:adapter`) is exactly what `npm run docs:api` renders from it.
 * Jest only (it calls `describe`/`it`); import it from `@pager/testing/jest`.
 *
 * @param title the suite's name, e.g. `docs/api.md, federation adapter`.
 * @param service the service definition the running service is built from.
 * @param section the generated section's marker name in `docs/api.md`.
 */
export function describeApiDocumentation<C extends CommonConfig>(
  title: string,
  service: ServiceDefinition<C>,
  section: string,
): void {
  describe(title, () => {
    let document: OpenAPIObject;

    beforeAll(async () => {
      document = await buildOpenApiDocument(service);
    }, 60_000);

    it('documents every route with a summary and a meaning for each status', () => {
      expect(Object.keys(document.paths).length).toBeGreaterThan(0);
      expect(undocumentedOperations(document)).toEqual([]);
    });

    it('is what npm run docs:api renders from the OpenAPI document the service serves', () => {
      const written = generatedSection(readFileSync(API_MD_PATH, 'utf8'), section);
      expect(written).toBe(renderOpenApiMarkdown(document));
    });
  });
}
