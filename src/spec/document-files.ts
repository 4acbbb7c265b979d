import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Dialect } from '../dialects/dialect';
import { envelopeDialect } from '../dialects/envelope';
import { fastapiDialect } from '../dialects/fastapi';
import { pathstackDialect } from '../dialects/pathstack';
import { problemDialect } from '../dialects/problem';
import { DocumentLoadError } from './documents';
import type { FormatSemantics } from './formats';
import type { ApiDescriptor } from './registry';

/** The dialects a document given on the command line may name in `x-refreshd.dialect`. */
const DIALECTS: ReadonlyMap<string, Dialect> = new Map([problemDialect, fastapiDialect, pathstackDialect, envelopeDialect].map((dialect) => [dialect.name, dialect]));

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

function readMapping(file: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: 1000 });
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch (error) {
    throw new DocumentLoadError(file, (error as Error).message.split('\n')[0]);
  }
}

/** `x-refreshd` of the overlay beside the document, else of the document itself. */
function declarationOf(file: string, overlayFile: string): { value: Record<string, unknown>; from: string } | undefined {
  for (const candidate of [overlayFile, file]) {
    if (candidate === overlayFile && !existsSync(candidate)) continue;
    const declared = readMapping(candidate)?.['x-refreshd'];
    if (declared === undefined) continue;
    if (!declared || typeof declared !== 'object' || Array.isArray(declared)) throw new DocumentLoadError(candidate, 'x-refreshd must be a mapping');
    return { value: declared as Record<string, unknown>, from: candidate };
  }
  return undefined;
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
    const overlaysDir = path.join(path.dirname(file), 'overlays');
    const declaration = declarationOf(file, path.join(overlaysDir, `${name}.overlay.yaml`));
    const dialectName = declaration?.value.dialect ?? 'problem';
    const dialect = DIALECTS.get(String(dialectName));
    if (!dialect) throw new DocumentLoadError(declaration?.from ?? file, `x-refreshd.dialect "${String(dialectName)}" is not one of ${[...DIALECTS.keys()].join(', ')}`);
    const formats = declaration?.value.formats ?? 'json-schema';
    if (formats !== 'json-schema' && formats !== 'pydantic') throw new DocumentLoadError(declaration?.from ?? file, `x-refreshd.formats "${String(formats)}" is not one of json-schema, pydantic`);
    return { name, dialect, formats: formats as FormatSemantics, overlaysDir, documentFile: file, missingOperationIds: 'generate' };
  });
}
