import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository stands on its own: a user clones only it, so no tracked file (test,
 * script, doc link, Nx input, manifest) may name a path outside it. Every relative path
 * (`../x`) written in a tracked text file is resolved from that file's folder (and, for
 * `{workspaceRoot}/../x`, from the root) and must stay inside the repository.
 */

const REPO = path.resolve(__dirname, '../../..');

/** Files that may quote foreign paths as data: third-party fixtures, and this spec's samples. */
const EXEMPT = [
  /^libs\/protocol\/test\/fixtures\//,
  /^apps\/e2e\/src\/repository-self-contained\.spec\.ts$/,
];

/** Tracked files, relative to the root (git is how a clone sees the repository). */
function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && file !== 'package-lock.json')
    .filter((file) => !EXEMPT.some((pattern) => pattern.test(file)));
}

const TEXT = /\.(ts|js|mjs|cjs|json|md|ya?ml|sh|txt)$|(^|\/)(run|Dockerfile[^/]*|\.env\.example)$/;

/** `../` chains with what follows them, e.g. `../../outside/spec`. */
const RELATIVE = /(?:^|[^\w.])((?:\.\.\/)+[\w.@/*-]*)/g;

/** Every relative path of `text` that leaves the repository when resolved from `file`. */
export function escapingPaths(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(RELATIVE)) {
    const relative = match[1];
    const start = (match.index ?? 0) + match[0].length - relative.length;
    const before = text.slice(Math.max(0, start - 16), start);
    // Jest's <rootDir> is a project's folder, two levels down (apps/x, libs/x).
    const base = before.endsWith('{workspaceRoot}/')
      ? REPO
      : before.endsWith('<rootDir>/')
        ? path.join(REPO, 'apps/project')
        : path.dirname(path.join(REPO, file));
    const resolved = path.resolve(base, relative);
    if (resolved !== REPO && !resolved.startsWith(REPO + path.sep)) found.push(relative);
  }
  return found;
}

describe('the repository stands on its own', () => {
  it('finds an escaping path in a sample (the check can fail)', () => {
    expect(escapingPaths('docs/operations.md', 'see [x](../../outside/spec/X.md)')).toEqual([
      '../../outside/spec/X.md',
    ]);
    expect(escapingPaths('apps/x/project.json', '"{workspaceRoot}/../outside/spec/**/*"')).toEqual([
      '../outside/spec/**/*',
    ]);
    expect(
      escapingPaths('libs/testing/src/lib/a.ts', "path.resolve(__dirname, '../../../..')"),
    ).toEqual([]);
    expect(
      escapingPaths('apps/e2e/src/a.ts', "path.resolve(__dirname, '../../../../outside')"),
    ).toEqual(['../../../../outside']);
  });

  it('no tracked file names a path outside the repository', () => {
    const offenders: string[] = [];
    for (const file of trackedFiles().filter((f) => TEXT.test(f))) {
      const text = readFileSync(path.join(REPO, file), 'utf8');
      for (const relative of escapingPaths(file, text)) offenders.push(`${file}: ${relative}`);
    }
    expect(offenders).toEqual([]);
  });

  it('no tracked file mentions the workspace folder beside the repository', () => {
    const offenders = trackedFiles()
      .filter((f) => TEXT.test(f))
      .filter((f) => /\/work\/shared\b/.test(readFileSync(path.join(REPO, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
