import { loadDesigns } from '../iommu/designRegistry';
import { loadInvariants } from '../iommu/invariantRegistry';
import { parseArgs, refuseArguments } from './args';
import { EXIT, type Command } from './command';

export const designsCommand: Command = {
  name: 'designs',
  summary: 'list the designs that can be checked',
  help: 'usage: dmaown designs\n\nLists every design in machines/ with the seed message it follows.',
  async run(argv) {
    refuseArguments(parseArgs(argv, [], 'designs'), 'designs');
    for (const d of await loadDesigns()) process.stdout.write(`${d.name.padEnd(16)} ${d.title}\n${''.padEnd(16)} follows: ${d.source}\n`);
    return EXIT.OK;
  },
};

export const invariantsCommand: Command = {
  name: 'invariants',
  summary: 'list the invariants that can be checked',
  help: 'usage: dmaown invariants\n\nLists every invariant in invariants/ with what it checks and the sentence it formalises.',
  async run(argv) {
    refuseArguments(parseArgs(argv, [], 'invariants'), 'invariants');
    for (const i of await loadInvariants()) process.stdout.write(`${i.name.padEnd(20)} ${i.summary}\n${''.padEnd(20)} ${i.formalises}\n`);
    return EXIT.OK;
  },
};
