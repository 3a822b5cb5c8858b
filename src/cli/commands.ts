import type { Command } from './command';
import { checkCommand } from './checkCommand';
import { designsCommand, invariantsCommand } from './listCommands';
import { replayCommand } from './replayCommand';

/** Every subcommand, in the order `dmaown --help` lists them. Add a command here. */
export const COMMANDS: readonly Command[] = [checkCommand, replayCommand, designsCommand, invariantsCommand];
