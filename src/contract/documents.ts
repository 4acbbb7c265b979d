import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envelopeDialect } from '../dialects/envelope';
import type { ApiDeclaration, CatalogueEntry } from '../spec/catalogue';
import type { FormatSemantics } from '../spec/formats';
import { compileApi, type CompiledApi } from '../spec/registry';
import { declareRefresh } from './cases';

/** An api the contract run checks: one of refreshd's, or a document given with `--spec`. */
export interface CheckedApi {
  /** How the report names it: the api's name, or the document's file name. */
  name: string;
  compiled: CompiledApi;
  formats: FormatSemantics;
  /** One of refreshd's apis: its credentials can be minted and the token-aware checks run. */
  known: boolean;
  /** Its `x-refreshd` (refreshd's apis only): where the refresh token travels, what each security scheme is checked against. */
  declaration?: ApiDeclaration;
}

const compiledKnown = new Map<string, Promise<CompiledApi>>();

/** One of refreshd's apis (from its documents folder), its document + overlay compiled once per process. */
export async function knownApi(entry: CatalogueEntry): Promise<CheckedApi> {
  const key = `${entry.specsDir}\0${entry.name}`;
  let compiled = compiledKnown.get(key);
  if (!compiled) {
    compiled = compileApi(entry).then((api) => {
      for (const operation of api.operations) {
        const refresh = entry.declaration.refresh[operation.operationId];
        if (refresh) declareRefresh(operation, refresh);
      }
      return api;
    });
    compiledKnown.set(key, compiled);
  }
  return { name: entry.name, compiled: await compiled, formats: entry.formats, known: true, declaration: entry.declaration };
}

/**
 * Any OpenAPI 3.0/3.1 document (YAML or JSON), with `overlays/<name>.overlay.yaml` beside it
 * applied when there is one; validated against its OpenAPI version's meta-schema and
 * compiled by the same spec layer as refreshd's own. Its formats mean what JSON Schema says,
 * and requests are read as a strict JSON server would (a `null` body is a value, a body that
 * is not JSON is refused). Throws `DocumentLoadError` naming the file.
 */
export async function specFileApi(file: string): Promise<CheckedApi> {
  const absolute = path.resolve(file);
  const extension = path.extname(absolute);
  const name = path.basename(absolute, extension);
  let dir = path.dirname(absolute);
  if (extension !== '.yaml') {
    // The spec layer reads `<dir>/<name>.yaml`; YAML reads JSON too.
    dir = mkdtempSync(path.join(tmpdir(), 'refreshd-contract-spec-'));
    copyFileSync(absolute, path.join(dir, `${name}.yaml`));
  }
  const compiled = await compileApi({ name, dialect: envelopeDialect, formats: 'json-schema' }, dir, path.join(path.dirname(absolute), 'overlays'));
  return { name: path.basename(absolute), compiled, formats: 'json-schema', known: false };
}
