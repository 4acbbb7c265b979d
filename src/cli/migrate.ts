import { Command } from 'commander';
import { envOption } from './options';
import { addDatabaseOptions, databaseSettings } from './store-options';

/**
 * `refreshd migrate`: creates the store or brings its schema up to date, then exits. `serve` does
 * the same at start (on PostgreSQL under an advisory lock, so instances starting together migrate
 * once); this runs it as its own deployment step.
 */
export function migrateCommand(): Command {
  const command = new Command('migrate')
    .description("Create the store, or bring its schema up to this refreshd's version, and exit")
    .addOption(envOption('--data-dir <dir>', 'where the SQLite store is (without --database-url)', 'REFRESHD_DATA_DIR', './data'));
  return addDatabaseOptions(command).action(async (options) => {
    // Loaded here, not at the top: every command line defines this command, only `migrate` runs it.
    const { describeStore, migrateStore, storeConfig } = await import('../store/factory');
    const config = storeConfig({ dataDir: options.dataDir, ...databaseSettings(options) });
    const { from, to } = await migrateStore(config);
    const what = from === to ? `already at schema version ${to}` : `migrated from schema version ${from} to ${to}`;
    process.stdout.write(`${config.backend} store at ${describeStore(config)}: ${what}\n`);
  });
}
