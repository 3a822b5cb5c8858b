import { InputError, oneLine, thrownText } from '../errors';
import { SchemaError } from '../model/packedLayout';
import { EXIT } from './command';
import { drained } from './drained';
import { COMMANDS } from './commands';
import { signalOfExitCode } from './interrupt';

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `dmaown: a model checker for the Linux IOMMU DMA-ownership APIs

usage: dmaown <command> [options]      (dmaown <command> --help or dmaown help <command>:
                                        its options)

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

exit status: 0 ok / all invariants hold, 1 an invariant is violated, 2 bad usage or input,
             3 a budget stopped the search before it decided, 4 internal error;
             check, shard and compare interrupted by SIGINT/SIGTERM write their reports
             (incomplete), then end by that signal (shell status 130/143)`;
}

/** Runs the CLI; returns the exit code. Never throws: every error becomes one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    // `dmaown help COMMAND` is `dmaown COMMAND --help`.
    if (name === 'help' && rest.length > 0) return await main([rest[0], '--help']);
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(mainHelp() + '\n');
      if (name === undefined) throw new InputError('no command given (the commands are listed above)');
      return EXIT.OK;
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
      process.stderr.write(`dmaown: ${oneLine(e.message)}\n`);
      return EXIT.USAGE;
    }
    if (e instanceof SchemaError) {
      process.stderr.write(`dmaown: model error: ${oneLine(e.message)}\n`);
      return EXIT.INTERNAL;
    }
    process.stderr.write(`dmaown: internal error: ${oneLine(thrownText(e))}\n`);
    return EXIT.INTERNAL;
  }
}

/**
 * What a failed write to standard output does: a reader that went away (EPIPE, as `| head`
 * does) is no error, the rest of the output is dropped and the command ends with its own exit
 * status; any other failure (a full disk) is said once on stderr and the exit status is 2.
 */
function watchStdout(): () => boolean {
  let failed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || failed) return;
    failed = true;
    process.stderr.write(`dmaown: cannot write standard output: ${e.code ?? oneLine(e.message)}\n`);
    process.exitCode = EXIT.USAGE;
  });
  return () => failed;
}

/**
 * Runs the CLI as this process: `main`, then its exit code as the process's exit status, or,
 * for a command interrupted by a signal (its reports written), that signal again, so that a
 * shell or CI runner sees the process end by it. The process ends a second after the command
 * at most, once its output is written, whatever else is still scheduled.
 */
export function runAsProcess(argv: readonly string[]): Promise<void> {
  const stdoutFailed = watchStdout();
  return main(argv).then((code) => {
    const signal = signalOfExitCode(code);
    if (signal) { process.kill(process.pid, signal); return; }
    process.exitCode = stdoutFailed() && code < EXIT.USAGE ? EXIT.USAGE : code;
    // The command has ended and left nothing of its own running but its output to a pipe (the
    // reports are written synchronously); anything else that keeps the process alive is not
    // dmaown's, such as a timer a config module started. So a second on, once standard output
    // and standard error have written what they hold, the process ends all the same.
    setTimeout(() => void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit()), 1000).unref();
  });
}

if (require.main === module) void runAsProcess(process.argv.slice(2));
