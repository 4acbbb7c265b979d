import Ajv from 'ajv';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app/app';
import { bindHandlers } from '../../src/app/handlers';
import { catalogueOf, DECLARATION_SCHEMA, discoverApis, readDeclaration } from '../../src/spec/catalogue';
import { SPECS_DIR } from '../../src/paths';
import { PUBLISHED_APIS } from '../support/apis';

/** A specs folder holding copies of some of the project's documents, with their overlays. */
function specsWith(names: string[], edit: (dir: string) => void = () => undefined): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'refreshd-specs-'));
  mkdirSync(path.join(dir, 'overlays'));
  for (const name of names) {
    cpSync(path.join(SPECS_DIR, `${name}.yaml`), path.join(dir, `${name}.yaml`));
    cpSync(path.join(SPECS_DIR, 'overlays', `${name}.overlay.yaml`), path.join(dir, 'overlays', `${name}.overlay.yaml`));
  }
  edit(dir);
  return dir;
}

describe('the apis are the documents of the specs folder', () => {
  test("the project's folder holds the five published apis and the admin api", () => {
    const catalogue = catalogueOf();
    expect([...catalogue.names].sort()).toEqual([...PUBLISHED_APIS].sort());
    expect(catalogue.admin?.name).toBe('admin');
    expect(catalogue.get('pathstack').declaration).toMatchObject({ dialect: 'pathstack', formats: 'pydantic', subject: 'uuid4' });
    expect(catalogue.get('session').declaration).toMatchObject({ dialect: 'envelope', formats: 'json-schema', requestProfile: 'strict' });
  });

  test('another folder is another set of apis; an unknown name is refused, naming what there is', () => {
    const catalogue = discoverApis(specsWith(['session', 'watchr']));
    expect(catalogue.names).toEqual(['session', 'watchr']);
    expect(catalogue.admin).toBeUndefined();
    expect(() => catalogue.select(['watchr', 'galileo'])).toThrow(/unknown api "galileo" \(one of session, watchr; documents in /);
  });

  test.each([
    ['a folder that does not exist', () => '/nonexistent/specs', /cannot read the specs folder: ENOENT/],
    ['a folder without documents', () => specsWith([]), /holds no api document/],
    ['a file name that cannot name an api', () => specsWith(['watchr'], (dir) => writeFileSync(path.join(dir, 'My Api.yaml'), 'openapi: 3.1.0\n')), /"My Api" cannot name an api/],
  ])('%s stops start-up with a clear error', (_name, dir, message) => {
    expect(() => discoverApis(dir())).toThrow(message);
  });
});

describe('x-refreshd is checked when it is read', () => {
  test('the schema it is checked against is a valid JSON Schema (checked here, not at every start-up)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    expect(ajv.validateSchema(DECLARATION_SCHEMA)).toBe(true);
  });

  test('defaults: the problem dialect, JSON Schema formats, any subject', () => {
    expect(readDeclaration(undefined, 'x.yaml')).toEqual({ dialect: 'problem', formats: 'json-schema', requestProfile: undefined, subject: 'any', role: 'token', security: {}, refresh: {} });
  });

  test.each([
    [{ dialect: 'soap' }, /x-refreshd.dialect "soap" is not one of problem, fastapi, pathstack, envelope/],
    [{ formats: 'python' }, /x-refreshd.formats must be one of pydantic, json-schema/],
    [{ dialects: 'fastapi' }, /x-refreshd: unknown key "dialects"/],
    [{ refresh: { op: { token: { in: 'cookie', name: 'rt' } } } }, /x-refreshd.refresh.op must have required property 'reply'/],
    [{ refresh: { op: { token: { in: 'form', name: 'rt' }, reply: {} } } }, /x-refreshd.refresh.op.token.in must be one of cookie, header, query, path, body/],
    [{ refresh: { op: { token: { in: 'body', name: 'rt' }, reply: { body: { access_token: '$acces_token' } } } } }, /reply.body.access_token: "\$acces_token" names no value \(one of \$access_token, /],
    [{ refresh: { op: { token: { in: 'body', name: 'rt' }, reply: { status: 500 } } } }, /x-refreshd.refresh.op.reply.status must be <= 299/],
    [{ security: { key: 'anyone' } }, /x-refreshd.security.key must be one of admin-token, api-keys/],
  ])('%j is refused', (value, message) => {
    expect(() => readDeclaration(value, 'widgets.overlay.yaml')).toThrow(message);
    expect(() => readDeclaration(value, 'widgets.overlay.yaml')).toThrow(/cannot load widgets.overlay.yaml/);
  });

  test('$$ writes a literal dollar', () => {
    expect(() => readDeclaration({ refresh: { op: { token: { in: 'body', name: 'rt' }, reply: { body: { price: '$$5' } } } } }, 'x.yaml')).not.toThrow();
  });

  test('a declared refresh must read what its operation declares', async () => {
    const dir = specsWith(['session'], (specs) => {
      const overlay = path.join(specs, 'overlays', 'session.overlay.yaml');
      const text = require('node:fs').readFileSync(overlay, 'utf8').replace('token: { in: body, name: refresh_token }', 'token: { in: cookie, name: refresh_token }');
      writeFileSync(overlay, text);
    });
    await expect(buildApp({ specsDir: dir, responders: () => new Map() })).rejects.toThrow(
      /x-refreshd.refresh.refresh_session_token.token reads cookie "refresh_token", which POST \/session\/token\/refresh does not declare/,
    );
  });

  test('an operation with neither a handler file nor a declared refresh stops start-up, saying how to give it one', async () => {
    const dir = specsWith(['session'], (specs) => {
      const overlay = path.join(specs, 'overlays', 'session.overlay.yaml');
      const text = require('node:fs').readFileSync(overlay, 'utf8').replace(/  refresh:\n    refresh_session_token:[\s\S]*?msg: ''\n/, '');
      writeFileSync(overlay, text);
    });
    const services = { catalogue: discoverApis(dir) } as Parameters<typeof bindHandlers>[1];
    await expect(buildApp({ specsDir: dir, responders: (apis) => bindHandlers(apis, services, dir) })).rejects.toThrow(
      /session operation refresh_session_token has no handler \(write handlers\/refresh_session_token.ts, or declare x-refreshd.refresh.refresh_session_token/,
    );
  });
});
