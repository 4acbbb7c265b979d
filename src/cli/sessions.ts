import { Command, Option } from 'commander';
import type { TokenEngine } from '../app/real-server';
import { mintableSubject, mintedSessionView, sessionSummaryView } from '../handler-kit/sessions';
import { catalogueOf } from '../spec/catalogue';
import { addEngineOptions, engineConfig } from './engine-options';
import { apiNamesOption } from './options';

/**
 * Runs `command` on the store and keys `serve` uses. Never creates either: a mistyped
 * `--data-dir` or a missing `--key-file` is an error, not a new empty store or a new key.
 */
async function withEngine<T>(options: Record<string, any>, command: (engine: TokenEngine) => Promise<T>, signs = false): Promise<T> {
  // Loaded here, not at the top: every command line defines sessions, only sessions opens the engine here.
  const { openTokenEngine } = await import('../app/real-server');
  const engine = await openTokenEngine({ ...engineConfig(options), secureCookies: true }, { mode: 'existing', signs });
  try {
    return await command(engine);
  } finally {
    await engine.store.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** `refreshd sessions create|list|revoke|revoke-subject`, on the same store and keys as `serve`, printing the admin api's shapes. */
export function sessionsCommand(): Command {
  const sessions = new Command('sessions').description('Mint, list and revoke sessions on the store serve created (logging in is upstream of refreshd)');
  sessions.addCommand(
    addEngineOptions(
      new Command('create')
        .description('Mint a session and print it as the admin api does: {session_id, access_token, refresh_token, ...}')
        .addOption(apiNamesOption(new Option('--api <api>', 'the api (one of the documents of --specs-dir)').makeOptionMandatory(), true))
        .requiredOption('--sub <subject>', 'the subject (a UUID4 where the api declares x-refreshd.subject: uuid4, as pathstack)')
        .option('--org <id...>', 'organizations the session may be scoped to (almanac)'),
    ).action(async (options) => {
      const subject = mintableSubject(catalogueOf(options.specsDir).get(options.api).declaration.subject, options.sub);
      if (!subject.ok) throw new Error(`${options.api} subjects must be UUID4s (its overlay declares x-refreshd.subject: uuid4): ${subject.problem.msg}`);
      const sub = subject.sub;
      await withEngine(options, async (engine) => {
        // A token the server cannot verify is worse than none: refuse before minting.
        const { assertServedSigningKey } = await import('../app/real-server');
        await assertServedSigningKey(engine);
        const minted = await engine.tokens.mintSession({ api: options.api, sub, organizations: options.org ?? [] });
        print(mintedSessionView(minted));
      }, true);
    }),
  );
  sessions.addCommand(
    addEngineOptions(
      new Command('list').description('List sessions as the admin api does: {sessions: [...]}').addOption(apiNamesOption(new Option('--api <api>', 'only this api'), true)).option('--sub <subject>', 'only this subject'),
    ).action(async (options) => {
      await withEngine(options, async ({ tokens }) => {
        const found = await tokens.listSessions({ api: options.api, sub: options.sub });
        print({ sessions: found.map(sessionSummaryView) });
      });
    }),
  );
  sessions.addCommand(
    addEngineOptions(new Command('revoke').description('Revoke one session (its whole token family); prints {revoked}').argument('<session_id>')).action(
      async (sessionId: string, options) => {
        await withEngine(options, async ({ tokens }) => {
          const session = await tokens.findSession(sessionId);
          if (!session) throw new Error(`no session ${JSON.stringify(sessionId)} in this store (see \`refreshd sessions list\`)`);
          const revoked = await tokens.revokeSession(sessionId);
          if (!revoked) process.stderr.write(`session ${sessionId} was already revoked at ${new Date(session.revokedAtMs ?? 0).toISOString()}\n`);
          print({ revoked });
        });
      },
    ),
  );
  sessions.addCommand(
    addEngineOptions(
      new Command('revoke-subject').description('Revoke every session of a subject on every api; prints {sessions_revoked}').argument('<subject>'),
    ).action(async (sub: string, options) => {
      await withEngine(options, async ({ tokens }) => {
        const { sessionsRevoked } = await tokens.revokeSubject(sub);
        print({ sessions_revoked: sessionsRevoked });
      });
    }),
  );
  return sessions;
}
