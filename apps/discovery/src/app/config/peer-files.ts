import { closeSync, openSync, statSync } from 'node:fs';

/** What looking at one PEER_FILES path found: readable, or why not (a Node error code). */
export type PeerFileProbe =
  | { ok: true }
  | { ok: false; code: string | undefined; message: string }
  | { ok: false; code: 'not_a_file'; message: string };

/**
 * Why a PEER_FILES path cannot serve at start, in words naming the path, or undefined when it
 * can. Pure. A missing or unreadable file is a configuration error (the operator meant a
 * file and would otherwise start without the peers it lists); what the file says is checked
 * entry by entry later (docs/operations.md, peer files).
 */
export function peerFileProblem(path: string, probe: PeerFileProbe): string | undefined {
  if (probe.ok) return undefined;
  const why: Record<string, string> = {
    ENOENT: 'no such file (ENOENT)',
    EACCES: 'permission denied (EACCES)',
    EPERM: 'operation not permitted (EPERM)',
    ENOTDIR: 'a part of the path is not a directory (ENOTDIR)',
    ELOOP: 'too many symbolic links (ELOOP)',
    ENAMETOOLONG: 'the path is too long (ENAMETOOLONG)',
    not_a_file: 'not a regular file',
  };
  const reason = (probe.code !== undefined ? why[probe.code] : undefined) ?? probe.message;
  return `PEER_FILES names ${JSON.stringify(path)}, which cannot be read: ${reason}`;
}

/** Looks at `path` on disk: a regular file this process can open for reading. */
export function probePeerFile(path: string): PeerFileProbe {
  try {
    if (!statSync(path).isFile())
      return { ok: false, code: 'not_a_file', message: 'not a regular file' };
    closeSync(openSync(path, 'r'));
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, code: e.code, message: e.message };
  }
}
