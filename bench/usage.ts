/**
 * The bench's and the studies' command lines parsed, or bad usage reported as every dmaown
 * command reports it: one line naming the problem, exit status 2.
 */
export function parsedOrExit<T>(tool: string, parse: (argv: readonly string[]) => T): T {
  try {
    return parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${tool}: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
