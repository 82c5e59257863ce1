/**
 * `npm run docs:api`: renders the OpenAPI documents both services serve at `GET /docs` into
 * the generated sections of docs/api.md (`--check`: exit 1 if the file differs instead of
 * writing it). The services are not started: each document is built in Nest's preview mode.
 * `apps/*\/src/app/api-doc.spec.ts` fail when docs/api.md and the code drift apart.
 */
import {
  buildOpenApiDocument,
  renderOpenApiMarkdown,
  withGeneratedSection,
} from '@pager/server-kit';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adapterService } from '../../apps/adapter/src/app/adapter.service-definition';
import { discoveryService } from '../../apps/discovery/src/app/discovery.service-definition';

const API_MD = path.resolve(__dirname, '../../docs/api.md');

async function main(): Promise<void> {
  const before = readFileSync(API_MD, 'utf8');
  let text = before;
  text = withGeneratedSection(
    text,
    'api:discovery',
    renderOpenApiMarkdown(await buildOpenApiDocument(discoveryService)),
  );
  text = withGeneratedSection(
    text,
    'api:adapter',
    renderOpenApiMarkdown(await buildOpenApiDocument(adapterService)),
  );
  if (process.argv.includes('--check')) {
    if (text !== before) {
      console.error('docs/api.md is out of date: run npm run docs:api');
      process.exit(1);
    }
    return;
  }
  if (text !== before) writeFileSync(API_MD, text);
  console.log(text === before ? 'docs/api.md is up to date' : 'docs/api.md rewritten');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
