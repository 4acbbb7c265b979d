import { contractCommand } from '/work/main/src/cli/contract';
contractCommand().parseAsync(process.argv.slice(2), { from: 'user' }).then(() => process.exit(process.exitCode ?? 0));
