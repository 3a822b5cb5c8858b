import { InputError } from '../errors';
import { EXPLORE_MAX_DEVICES } from '../explore/api';
import { startExploreServer } from '../explore/server';
import { flagInt, parseArgs, refuseArguments } from './args';
import { EXIT, type Command } from './command';

/** Signals that stop the explorer cleanly: Ctrl-C, a kill, and the terminal closing. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The explorer's port when `--port` is not given. */
export const DEFAULT_EXPLORE_PORT = 7341;

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'serve a local web page to browse verdicts, counterexamples and the state space',
  help: `usage: dmaown explore [--port P]

Serves the explorer on http://127.0.0.1:P/ (loopback only) until stopped by Ctrl-C, SIGTERM or
the terminal closing (SIGHUP). In the page: pick a design and a bound (1 to ${EXPLORE_MAX_DEVICES} devices), see
the statechart and the verdicts of 'dmaown check', step through each counterexample with the
changed fields highlighted, and walk the state space by clicking the callers' enabled actions
from any state. See docs/explore.md.

  --port P   port to listen on, 0 to 65535 (default ${DEFAULT_EXPLORE_PORT}; 0 picks a free one)

exit status: 0 stopped by a signal, 2 bad usage or the port cannot be used, 4 internal error`,
  async run(argv) {
    const args = parseArgs(argv, [{ name: 'port', kind: 'string' }], 'explore');
    refuseArguments(args, 'explore');
    const port = flagInt(args, 'port', DEFAULT_EXPLORE_PORT, 0, 65535, 'the port');
    let srv;
    try {
      srv = await startExploreServer(port);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new InputError(`explore: port ${port} is already in use (try --port 0 for a free one)`);
      if (code === 'EACCES') throw new InputError(`explore: not allowed to listen on port ${port} (try a port above 1023, or --port 0)`);
      throw e;
    }
    const running = srv;
    // The handlers first, then the URL: a signal sent as soon as the URL is seen stops it cleanly.
    const stopped = new Promise<number>((resolve) => {
      const stop = () => {
        for (const sig of STOP_SIGNALS) process.off(sig, stop);
        running.close().then(() => resolve(EXIT.OK), () => resolve(EXIT.OK));
      };
      for (const sig of STOP_SIGNALS) process.on(sig, stop);
    });
    process.stdout.write(`dmaown explore: serving ${srv.url} (Ctrl-C to stop)\n`);
    return stopped;
  },
};
