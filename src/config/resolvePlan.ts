import { InputError } from '../errors';
import { loadDesigns } from '../iommu/designRegistry';
import { loadInvariants } from '../iommu/invariantRegistry';
import { exportThrew, findConfigFile, readConfigFile } from './loadConfig';
import { validateConfig, type CheckPlan, type PlannedRun } from './validateConfig';

export interface PlanSources {
  /** `--config FILE`, if given. */
  readonly configFlag?: string;
  /** The command line named the run itself (`--design`, `--devices` or `--invariant`). */
  readonly runFlags: boolean;
  /** Where to look for a config file. */
  readonly cwd: string;
  /** `--symmetry` as given on the command line (undefined: not given); it overrides a config's. */
  readonly symmetry?: boolean;
  /** The run the command-line flags describe (their defaults when none is given). */
  single(): Promise<PlannedRun>;
}

/**
 * What `dmaown check` runs: the config file given with `--config`; else, when the command line
 * names no run, `dmaown.config.*` in the current directory if there is one; else the one run of
 * the flags. A config and run flags together are an InputError: they would name the runs twice.
 */
export async function resolvePlan(s: PlanSources): Promise<CheckPlan> {
  if (s.configFlag !== undefined && s.runFlags) {
    throw new InputError('check: --config names the designs, bounds and invariants; drop --design, --devices and --invariant, or drop --config');
  }
  if (s.configFlag !== undefined && s.configFlag.trim() === '') throw new InputError('check: --config needs a file name, got an empty one');
  const path = s.configFlag ?? (s.runFlags ? null : findConfigFile(s.cwd));
  if (path === null) return { source: null, runs: [await s.single()] };
  const raw = await readConfigFile(path, s.cwd);
  const [designs, invariants] = [await loadDesigns(), await loadInvariants()];
  try {
    return validateConfig(raw, path, designs, invariants, { symmetry: s.symmetry });
  } catch (e) {
    // A module's export can throw as it is read (a getter, a proxy): the file's fault, not dmaown's.
    if (e instanceof InputError) throw e;
    throw exportThrew(path, e);
  }
}
