import { InputError } from '../errors';
import { SchemaError } from '../model/packedLayout';
import { EXIT } from './command';
import { COMMANDS } from './commands';

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `dmaown: a model checker for the Linux IOMMU DMA-ownership APIs

usage: dmaown <command> [options]      (dmaown <command> --help for its options)

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

exit status: 0 ok / all invariants hold, 1 an invariant is violated, 2 bad usage or input,
             3 a budget stopped the search before it decided, 4 internal error`;
}

/** Runs the CLI; returns the exit code. Never throws: every error becomes one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(mainHelp() + '\n');
      return name === undefined ? EXIT.USAGE : EXIT.OK;
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw new InputError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(cmd.help + '\n');
      return EXIT.OK;
    }
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`dmaown: ${e.message}\n`);
      return EXIT.USAGE;
    }
    if (e instanceof SchemaError) {
      process.stderr.write(`dmaown: model error: ${e.message}\n`);
      return EXIT.INTERNAL;
    }
    process.stderr.write(`dmaown: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return EXIT.INTERNAL;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
