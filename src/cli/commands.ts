import type { Command } from './command';
import { checkCommand } from './checkCommand';
import { compareCommand } from './compareCommand';
import { diagramCommand } from './diagramCommand';
import { designsCommand, invariantsCommand } from './listCommands';
import { exploreCommand } from './exploreCommand';
import { replayCommand } from './replayCommand';

/** Every subcommand, in the order `dmaown --help` lists them. Add a command here. */
export const COMMANDS: readonly Command[] = [checkCommand, compareCommand, diagramCommand, replayCommand, exploreCommand, designsCommand, invariantsCommand];
