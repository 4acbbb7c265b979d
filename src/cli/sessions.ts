import { Command } from 'commander';
import { openTokenEngine, type ServeConfig, type TokenEngine } from '../app/real-server';
import { mintedSessionView, pathstackSubject } from '../app/session-views';
import { isApiName } from '../api-names';
import { addEngineOptions, engineConfig } from './engine-options';

async function withEngine<T>(options: Record<string, any>, run: (engine: TokenEngine) => Promise<T>): Promise<T> {
  const config: ServeConfig = { ...engineConfig(options), secureCookies: true };
  const engine = await openTokenEngine(config);
  try {
    return await run(engine);
  } finally {
    await engine.store.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** `refreshd sessions create|list|revoke|revoke-subject`, on the same store and keys as `serve`. */
export function sessionsCommand(): Command {
  const sessions = new Command('sessions').description('Mint, list and revoke sessions (logging in is upstream of refreshd)');
  sessions.addCommand(
    addEngineOptions(
      new Command('create')
        .description('Mint a session and print {session_id, access_token, refresh_token, ...} as JSON')
        .requiredOption('--api <api>', 'watchr | galileo | pathstack | almanac | session')
        .requiredOption('--sub <subject>', 'the subject (pathstack: a UUID4)')
        .option('--org <id...>', 'organizations the session may be scoped to (almanac)'),
    ).action(async (options) => {
      if (!isApiName(options.api)) throw new Error(`unknown api "${options.api}"`);
      let sub: string = options.sub;
      if (options.api === 'pathstack') {
        const subject = pathstackSubject(sub);
        if (!subject.ok) throw new Error(`pathstack subjects must be UUID4s (the client sends \`sub\` as one): ${subject.problem.msg}`);
        sub = subject.sub;
      }
      await withEngine(options, async ({ tokens }) => {
        const minted = await tokens.mintSession({ api: options.api, sub, organizations: options.org ?? [] });
        print(mintedSessionView(minted));
      });
    }),
  );
  sessions.addCommand(
    addEngineOptions(new Command('list').description('List sessions as JSON').option('--api <api>').option('--sub <subject>')).action(async (options) => {
      await withEngine(options, async ({ tokens }) => print(await tokens.listSessions({ api: options.api, sub: options.sub })));
    }),
  );
  sessions.addCommand(
    addEngineOptions(new Command('revoke').description('Revoke one session (its whole token family)').argument('<session_id>')).action(async (sessionId, options) => {
      await withEngine(options, async ({ tokens }) => print({ session_id: sessionId, revoked: await tokens.revokeSession(sessionId) }));
    }),
  );
  sessions.addCommand(
    addEngineOptions(new Command('revoke-subject').description('Revoke every session of a subject on every api').argument('<subject>')).action(async (sub, options) => {
      await withEngine(options, async ({ tokens }) => print({ sub, ...(await tokens.revokeSubject(sub)) }));
    }),
  );
  return sessions;
}
