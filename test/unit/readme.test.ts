import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The README's shell examples, as a user copies them. */
const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const SHELL_BLOCKS = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);

describe("README's shell examples", () => {
  it('exist', () => {
    expect(SHELL_BLOCKS.length).toBeGreaterThan(2);
  });

  it.each(SHELL_BLOCKS.map((block, i) => [i, block] as const))('block %i starts no background server through npx (npm does not pass SIGTERM on)', (_i, block) => {
    const background = block.split('\n').filter((line) => /&\s*(#.*)?$/.test(line) && !/&&\s*(#.*)?$/.test(line));
    for (const line of background) expect(line).not.toMatch(/\bnpx\b/);
  });

  it.each(SHELL_BLOCKS.map((block, i) => [i, block] as const))('block %i defines every variable it uses, and stops what it starts in the background', (_i, block) => {
    const lines = block.split('\n').map((line) => line.replace(/\s#.*$/, ''));
    const defined = new Set<string>();
    lines.forEach((line, index) => {
      for (const [, name] of line.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) expect({ line: index, name, defined: defined.has(name) }).toEqual({ line: index, name, defined: true });
      for (const [, name] of line.matchAll(/(?:^|[\s;])([A-Za-z_][A-Za-z0-9_]*)=/g)) defined.add(name);
      if (/&\s*$/.test(line) && !/&&\s*$/.test(line)) {
        const pid = /^([A-Z_]+)=\$!$/.exec(lines[index + 1]?.trim() ?? '')?.[1];
        expect({ line: index, savesPid: Boolean(pid) }).toEqual({ line: index, savesPid: true });
        expect(lines.slice(index + 2).some((later) => later.includes(`kill $${pid}`))).toBe(true);
      }
    });
  });

  it('the contract example passes an admin token it defines, so the admin api cannot be silently off', () => {
    const block = SHELL_BLOCKS.find((b) => / contract http/.test(b));
    expect(block).toBeDefined();
    expect(block).toMatch(/^T=\S/m);
    expect(block).toMatch(/serve .*--admin-token "\$T"/);
    expect(block).toMatch(/contract .*--admin-token "\$T"/);
  });
});
