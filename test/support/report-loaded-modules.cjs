// Preloaded (`node --require`) into a CLI under test: at exit, writes every module file the
// process loaded to stderr, one per line after a marker, for tests of what a command loads.
process.on('exit', () => {
  process.stderr.write(`\n--- loaded modules ---\n${Object.keys(require.cache).join('\n')}\n`);
});
