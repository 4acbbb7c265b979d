import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeApi } from './catalogue';
import type { ApiDescriptor } from './registry';

/** A file's api name is a path segment (`/docs/<name>`, `/openapi/<name>.json`) and a metric label. */
const API_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Names `/docs` keeps for itself. */
const RESERVED_NAMES = new Set(['assets']);

/** A file given on the command line that cannot be served; the message is one line for the user. */
export class DocumentFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentFileError';
  }
}

/**
 * What serving a document given on the command line takes: its api name (the file's base
 * name), its dialect (`x-refreshd.dialect` of `overlays/<name>.overlay.yaml` beside it, else
 * of the document, else `problem`: Prism's format) and its formats' meaning (`x-refreshd.formats`,
 * default JSON Schema's). Operations without an operationId get one. Throws a
 * {@link DocumentFileError} for a file that is missing or two files with one name; the
 * document itself is checked when it is compiled.
 */
export function describeDocumentFiles(files: readonly string[]): ApiDescriptor[] {
  const byName = new Map<string, string>();
  return files.map((given) => {
    const file = path.resolve(given);
    if (!existsSync(file)) throw new DocumentFileError(`no such file: ${given}`);
    if (!statSync(file).isFile()) throw new DocumentFileError(`not a file: ${given}`);
    const name = path.basename(file, path.extname(file));
    if (!API_NAME.test(name) || RESERVED_NAMES.has(name)) {
      throw new DocumentFileError(`${given}: "${name}" cannot name an api (letters, digits, ".", "-" and "_"; not "assets"): rename the file`);
    }
    const other = byName.get(name);
    if (other !== undefined) throw new DocumentFileError(`two documents would both be the api "${name}": ${other} and ${given} (rename one)`);
    byName.set(name, given);
    // Its x-refreshd (in the overlay beside it, or in the document) is read and checked as for any api.
    const entry = describeApi(name, path.dirname(file), path.join(path.dirname(file), 'overlays'), file);
    return { ...entry, missingOperationIds: 'generate' as const };
  });
}
