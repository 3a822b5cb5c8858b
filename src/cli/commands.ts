import type { Command } from './command';
import { checkCommand } from './checkCommand';
import { compareCommand } from './compareCommand';
import { diagramCommand } from './diagramCommand';
import { designsCommand, invariantsCommand } from './listCommands';
import { exploreCommand } from './exploreCommand';
import { mergeCommand } from './mergeCommand';
import { replayCommand } from './replayCommand';
import { shardCommand } from './shardCommand';

/** Every subcommand, in the order `dmaown --help` lists them. Add a command here. */
export const COMMANDS: readonly Command[] = [checkCommand, compareCommand, diagramCommand, replayCommand, shardCommand, mergeCommand, exploreCommand, designsCommand, invariantsCommand];
