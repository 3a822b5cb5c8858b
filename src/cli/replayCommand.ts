import { InputError } from '../errors';
import { parseEvent } from '../iommu/events';
import { freshGroupAt } from '../iommu/freshGroupSteps';
import { initialTraceState, replaySteps } from '../iommu/replay';
import type { GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';
import { stepJson } from '../report/checkReport';
import { flagString, parseArgs } from './args';
import { EXIT, type Command } from './command';
import { DEFAULT_DESIGN, DEFAULT_DEVICES, designByName, replayDevicesFlag } from './common';
import { MAX_DEVICES_SYMMETRY } from '../model/vocabulary';
import { inputName, parseJsonList, readInput } from './input';
import { drained } from './drained';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run a sequence of calls through a design and print the state after each',
  help: `usage: dmaown replay [--design NAME] [--devices N] [FILE | -]

Reads events from FILE (or standard input for '-' or no FILE): one JSON array, or one JSON
object per line. Prints one JSON object per line for each event:
  {"step":0,"event":{...},"ret":0,"warn":false,
   "group":{"owner_cnt":0,"owner":null,"domain":"default","fd_openable":false},
   "devices":[{"in_group":false,"driver":"none","domain":null}, ...]}
(the group's fields are the design's: v7's, as here, include the ghost fd_openable)

Events:
  {"type":"probe_device","dev":0}        {"type":"release_device","dev":0}
  {"type":"bind_driver","dev":0,"driver":"kernel"|"vfio"|"tegra"}   {"type":"unbind_driver","dev":0}
  {"type":"claim","owner":"file1"}       {"type":"release","owner":"file1"}
  {"type":"attach_group","domain":"dom1"}  {"type":"detach_group","domain":"dom1"}
  {"type":"attach_device","domain":"dom1","dev":0}  {"type":"detach_device","domain":"dom1","dev":0}
  {"type":"attach_device_shared","domain":"priv","dev":0}  (designs with the _shared API)
  {"type":"detach_device_shared","domain":"priv","dev":0}
  {"type":"owner_claimed"}
Domains to attach: "priv" (a kernel driver's private domain), "dom1", "dom2".
ret is the kernel's return value (0, -1 EPERM, -16 EBUSY, -19 ENODEV, -22 EINVAL; 1/0 for
owner_claimed); warn says whether a WARN_ON fired in that step. "freshGroup":true (only then
present) marks a step at which a device joins the group after its last member left while the
group is not fresh: the kernel would give it a fresh group there, the model keeps its one group
(docs/model.md, "The group's lifetime").

Kernel functions are accepted in any state and behave as the design's code does. Driver-core
events must make sense (bind an unbound device, bind vfio-pci only to a member of the group,
except in designs where a bind puts the device in the group (v8, iommufd), unbind a bound one,
probe a device outside the group, release a member with no driver) and
bind only a driver the design has ("tegra", a Tegra-like driver sharing a private domain, only
in designs that can share one): otherwise replay stops with an error naming the step.

  --design NAME   design to run (default ${DEFAULT_DESIGN})
  --devices N     devices in the group, 1 to ${MAX_DEVICES_SYMMETRY} (default ${DEFAULT_DEVICES})

exit status: 0 replayed, 2 bad usage or input, 4 internal error`,
  async run(argv) {
    const args = parseArgs(argv, [
      { name: 'design', kind: 'string' },
      { name: 'devices', kind: 'string' },
    ], 'replay');
    if (args.positional.length > 1) throw new InputError(`replay: one input file at most, got ${args.positional.length}`);
    const design = await designByName(flagString(args, 'design') ?? DEFAULT_DESIGN);
    const devices = replayDevicesFlag(args);
    const input = args.positional[0];
    const raw = parseJsonList(readInput(input));
    // Nothing to replay is a mistake (an empty file, a pipe that failed upstream), not a replay.
    if (raw.length === 0) throw new InputError(`replay: no events in ${inputName(input)}`);
    const events = raw.map((r, i) => parseEvent(r, devices, `step ${i}`));
    const dc = { design, devices };
    // Each step is written as it is made and not kept, and the next waits while standard output
    // is full (a pipe to a slower reader): a long input replays in the memory of a few steps.
    let before: { state: GroupStateName; context: GroupContext } = initialTraceState(design, devices);
    for (const s of replaySteps(design, devices, events)) {
      const line = JSON.stringify(stepJson(dc, s, freshGroupAt(design, devices, before, s) !== null)) + '\n';
      before = s;
      // A reader that went away (`| head`) has all it wanted: nothing more is written.
      if (process.stdout.destroyed) break;
      if (!process.stdout.write(line)) await drained(process.stdout);
    }
    return EXIT.OK;
  },
};
