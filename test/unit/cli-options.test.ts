import type { Command } from 'commander';
import { engineConfig } from '../../src/cli/engine-options';
import { buildProgram } from '../../src/cli/main';
import { booleanEnvVariable } from '../../src/cli/options';

/**
 * The real command line (every option as `refreshd` defines it), with each command's action
 * replaced by one that captures the parsed options, so nothing starts.
 */
function program(): { root: Command; parse(argv: string[], env?: Record<string, string>): Promise<Record<string, unknown>> } {
  const root = buildProgram();
  let captured: Record<string, unknown> = {};
  const capture = (command: Command) => {
    command.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    if (command.commands.length === 0) command.action((...args: unknown[]) => void (captured = (args[args.length - 1] as Command).opts()));
    command.commands.forEach(capture);
  };
  capture(root);
  return {
    root,
    async parse(argv, env = {}) {
      const saved = { ...process.env };
      for (const name of Object.keys(process.env)) if (name.startsWith('REFRESHD_')) delete process.env[name];
      Object.assign(process.env, env);
      try {
        captured = {};
        await root.parseAsync(argv, { from: 'user' });
        return captured;
      } finally {
        process.env = saved;
      }
    },
  };
}

const commands = (command: Command): Command[] => [command, ...command.commands.flatMap(commands)];

/** [command path, flag attribute, variable] for every boolean flag of every command. */
const BOOLEAN_FLAGS = commands(program().root).flatMap((command) =>
  command.options.flatMap((option) => {
    const env = booleanEnvVariable(option);
    const path: string[] = [];
    for (let c: Command | null = command; c && c.parent; c = c.parent) path.unshift(c.name());
    return env ? [[path, option.attributeName(), env] as const] : [];
  }),
);

describe('boolean environment variables', () => {
  it('covers the boolean flags serve has', () => {
    expect(BOOLEAN_FLAGS.map(([, , env]) => env)).toEqual(expect.arrayContaining(['REFRESHD_INSECURE_COOKIES', 'REFRESHD_DEBUG']));
  });

  const words: [string, boolean][] = [
    ['1', true], ['true', true], ['TRUE', true], ['yes', true], ['On', true],
    ['0', false], ['false', false], ['False', false], ['no', false], ['OFF', false],
  ];
  describe.each(BOOLEAN_FLAGS.map(([path, key, env]) => [env, path, key] as const))('%s', (env, path, key) => {
    it.each(words)(`${env}=%s turns the flag %s`, async (word, expected) => {
      const options = await program().parse([...path], { [env]: word });
      expect(Boolean(options[key])).toBe(expected);
    });

    it.each(['maybe', '2', 'enabled', ' '])(`${env}=%j stops start-up naming the variable and the accepted words`, async (word) => {
      await expect(program().parse([...path], { [env]: word })).rejects.toThrow(
        new RegExp(`${env} must be one of 1, true, yes, on, 0, false, no, off`),
      );
    });

    it('the flag on the command line wins over the variable', async () => {
      const options = await program().parse([...path, `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`], { [env]: 'false' });
      expect(options[key]).toBe(true);
    });

    it('unset or empty leaves the flag off', async () => {
      expect(Boolean((await program().parse([...path]))[key])).toBe(false);
      expect(Boolean((await program().parse([...path], { [env]: '' }))[key])).toBe(false);
    });
  });
});

describe('numbers are decimal integers within stated bounds', () => {
  it.each([
    [['serve', '--grace-seconds', '99999999999999999999'], /--grace-seconds.*must be at most 315360000 seconds/],
    [['serve', '--access-ttl', '1e3'], /--access-ttl.*decimal digits/],
    [['serve', '--access-ttl', '0x10'], /--access-ttl.*decimal digits/],
    [['serve', '--access-ttl', '-5'], /--access-ttl.*decimal digits/],
    [['serve', '--access-ttl', '3600.5'], /--access-ttl.*decimal digits/],
    [['serve', '--access-ttl', '0'], /--access-ttl.*must be at least 1 seconds/],
    [['serve', '--max-body-bytes', '0'], /--max-body-bytes.*must be at least 1024 bytes/],
    [['serve', '--max-body-bytes', '1023'], /--max-body-bytes.*must be at least 1024 bytes/],
    [['serve', '--port', '65536'], /--port.*must be at most 65535/],
    [['serve', '--workers', '0'], /--workers.*must be at least 1/],
    [['serve', '--apis', ','], /--apis.*names no api/],
    [['serve', '--apis', 'watchr,nope'], /unknown api "nope"/],
    [['sessions', 'list', '--refresh-ttl', '1e9'], /--refresh-ttl.*decimal digits/],
    [['contract', 'http://127.0.0.1:1', '--timeout', '1e3'], /--timeout.*decimal digits/],
  ])('%j is refused: %s', async (argv, message) => {
    await expect(program().parse(argv)).rejects.toThrow(message);
  });

  it('the same bounds hold for the environment variables, which the refusal names', async () => {
    await expect(program().parse(['serve'], { REFRESHD_GRACE_SECONDS: '1e3' })).rejects.toThrow(/from env 'REFRESHD_GRACE_SECONDS'.*decimal digits/);
    await expect(program().parse(['serve'], { REFRESHD_MAX_BODY_BYTES: '100' })).rejects.toThrow(/REFRESHD_MAX_BODY_BYTES.*at least 1024 bytes/);
  });

  it('valid values parse to numbers (leading zeros and surrounding blanks allowed)', async () => {
    const options = await program().parse(['serve', '--access-ttl', ' 0600 ', '--max-body-bytes', '1024', '--workers', '2', '--port', '0']);
    expect(options).toMatchObject({ accessTtl: 600, maxBodyBytes: 1024, workers: 2, port: 0 });
  });
});

describe('bounds between flags, checked before anything starts', () => {
  const base = { dataDir: './data', issuer: 'refreshd', accessTtl: 3600, refreshTtl: 86400, sessionTtl: 86400, graceSeconds: 10 };

  it('the grace window must be shorter than the refresh lifetime', () => {
    expect(() => engineConfig({ ...base, graceSeconds: 86400 })).toThrow('--grace-seconds (86400 s) must be shorter than --refresh-ttl (86400 s)');
    expect(engineConfig({ ...base, graceSeconds: 86399 }).graceWindowSeconds).toBe(86399);
  });

  it('the access lifetime must not be longer than the refresh lifetime', () => {
    expect(() => engineConfig({ ...base, accessTtl: 86401 })).toThrow('--access-ttl (86401 s) must not be longer than --refresh-ttl (86400 s)');
    expect(engineConfig({ ...base, accessTtl: 86400 }).accessTtlSeconds).toBe(86400);
  });

  it('a --key-file that names no file is refused', () => {
    expect(() => engineConfig({ ...base, keyFile: ' , ' })).toThrow('--key-file names no file');
  });
});
