import { Command, Option } from 'commander';
import { loadKeySet, newKeyFile, SIGNING_ALGORITHMS, writeSecretFile, type KeyFileFormat, type SigningAlgorithm } from '../tokens/keys';
import { commaList } from './engine-options';

/** `refreshd keys generate|inspect`: the key files `--key-file` takes. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('Create and inspect signing key files (see README: Rotating signing keys)');
  keys.addCommand(
    new Command('generate')
      .description('Write a new private signing key (mode 0600, never over an existing file) and print its kid')
      .addOption(new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGORITHMS).default('ES256'))
      .addOption(new Option('--format <format>', 'jwk (any alg, kid inside) or pem (RS256/ES256/EdDSA, kid = RFC 7638 thumbprint)').choices(['jwk', 'pem']).default('jwk'))
      .requiredOption('--out <file>', 'where to write the key')
      .action((options: { alg: SigningAlgorithm; format: KeyFileFormat; out: string }) => {
        const { text, kid } = newKeyFile(options.alg, options.format);
        try {
          writeSecretFile(options.out, text);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw new Error(`${options.out} exists: refusing to overwrite a key (remove it first, or choose another --out)`);
          throw new Error(`cannot write ${options.out}: ${code ?? (error as Error).message}`);
        }
        process.stdout.write(`${JSON.stringify({ kid, alg: options.alg, file: options.out })}\n`);
      }),
  );
  keys.addCommand(
    new Command('inspect')
      .description('Print the kid and alg of each key file as serve would load them, and which one signs (the last)')
      .argument('<files>', 'comma-separated key files, in --key-file order')
      .action((files: string) => {
        const paths = commaList(files);
        const set = loadKeySet(paths.map((path) => ({ path })));
        const described = set.keys.map((key, i) => ({ file: paths[i], kid: key.kid, alg: key.alg, signs: key === set.signing, verifyOnly: key.signingKey === null }));
        process.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
      }),
  );
  return keys;
}
