/**
 * Writes a design as a Promela model for SPIN, so that `npm run bench` can compare dmaown with
 * SPIN on the same model.
 *
 * The model is one process whose loop has one `d_step` per modelled caller action, in the order
 * of dmaown's model (`buildIommuModel(...).actions`): the action's precondition is the `d_step`'s
 * guard, and its body
 * is the machine's handling of the event, with the guards tested in the machine's order (nested
 * `if ... else`, so the first guard that holds wins, as in XState). A `d_step` is one transition
 * whose intermediate states are never stored, so SPIN stores exactly the valuations of the
 * variables between two caller actions, as dmaown does.
 *
 * The state variables are generated from the design's schema: the group's fields, each device's
 * and each user's, with the same bit widths as dmaown's packed layout and their initial values
 * taken from `design.initialContext()`. dmaown's `$state` (the machine's finite state) is not
 * declared: it is a function of the context (`design.classify`) and adds no states. The outcome
 * of a call (`ret`, `warn`) is `hidden`, so not part of SPIN's state vector, as it is not part of
 * dmaown's; with `warnAsAssertion` every step ends with `assert(!warn)`.
 *
 * The guards and effects are translated by hand from machines/v7.ts and machines/v8.ts (a
 * machine's guards are JavaScript functions, which cannot be translated mechanically); the
 * bench checks the translation by comparing the state counts of both tools.
 */
import type { CallerAction } from '../src/iommu/callers';
import { buildIommuModel } from '../src/iommu/iommuModel';
import type { Design } from '../src/iommu/design';
import type { IommuEvent } from '../src/iommu/events';
import type { GroupContext } from '../src/model/context';
import { bitsFor, type FieldMap, type FieldSpec } from '../src/model/schema';
import { DOMAINS, DRIVERS, Errno, OWNERS, PHASES, USER_DOMAIN, USERS, type Domain, type UserName } from '../src/model/vocabulary';

export interface PromelaOptions {
  /**
   * Whether vfio-pci may be bound to a device outside the group (default: the design's
   * `bindJoinsGroup`, as `callerActions` documents it).
   */
  readonly bindVfioJoins?: boolean;
  /** End every step with `assert(!warn)`, so that SPIN reports a WARN_ON as an assertion violation. */
  readonly warnAsAssertion?: boolean;
}

/** Designs this generator has a translation for. */
export const PROMELA_DESIGNS = ['v7', 'v8'] as const;

// ---- names of values and variables ----

const DOMAIN_NAME: Record<string, string> = { null: 'NODOM', default: 'DEFAULT', priv: 'PRIV', dom1: 'DOM1', dom2: 'DOM2', blocking: 'BLOCKING' };
const OWNER_NAME: Record<string, string> = { null: 'NOBODY', file1: 'FILE1', file2: 'FILE2' };
const DRIVER_NAME: Record<string, string> = { none: 'NODRV', kernel: 'KERNEL', vfio: 'VFIO', tegra: 'TEGRA' };
const PHASE_NAME: Record<string, string> = { idle: 'IDLE', claimed: 'CLAIMED', attached: 'ATTACHED' };

const dname = (d: Domain): string => DOMAIN_NAME[String(d)];
const oname = (u: UserName): string => OWNER_NAME[u];
const userOfDomain = (d: Domain): number => USERS.findIndex((u) => USER_DOMAIN[u] === d);

/** `#define`s giving each value its index in the vocabulary, which is how dmaown encodes it. */
function valueDefines(): string[] {
  const out: string[] = [];
  const defs = (values: readonly unknown[], names: Record<string, string>) => values.forEach((v, i) => {
    const name = names[String(v)];
    if (!name) throw new Error(`the Promela writer has no name for the value ${JSON.stringify(v)}`);
    out.push(`#define ${name} ${i}`);
  });
  defs(DOMAINS, DOMAIN_NAME);
  defs(OWNERS, OWNER_NAME);
  defs(DRIVERS, DRIVER_NAME);
  defs(PHASES, PHASE_NAME);
  for (const [k, v] of Object.entries(Errno)) out.push(`#define ${k} ${v}`);
  return out;
}

/** The encoded value of `v` for field `spec` (what dmaown stores), checked against the schema. */
function encodeValue(spec: FieldSpec, v: unknown, path: string): number {
  if (spec.kind === 'int') {
    if (typeof v !== 'number' || v < spec.min || v > spec.max) throw new Error(`${path} = ${String(v)} is outside ${spec.min}..${spec.max}`);
    if (spec.min !== 0) throw new Error(`${path}: int fields with a minimum other than 0 are not supported by the Promela writer`);
    return v;
  }
  const i = spec.values.indexOf(v);
  if (i < 0) throw new Error(`${path} = ${JSON.stringify(v)} is not in the schema`);
  return i;
}

const STANDARD_FIELDS = {
  group: ['owner_cnt', 'owner', 'domain', 'fd_openable'],
  device: ['in_group', 'driver', 'domain', 'counted', 'priv'],
  user: ['phase'],
};

function checkStandardSchema(design: Design, devices: number): void {
  const s = design.schema(devices);
  for (const part of ['group', 'device', 'user'] as const) {
    const keys = Object.keys(s[part]);
    const want = STANDARD_FIELDS[part];
    if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) {
      throw new Error(`design ${design.name}: ${part} fields ${keys.join(', ')} are not the standard ${want.join(', ')}; the Promela writer has no translation for them`);
    }
  }
}

// ---- Promela code for the shared pieces of every design ----

/** Code builder for one bound: the shared effects of machines/shared/ghost.ts, unrolled over the devices. */
class Code {
  /**
   * @param bindVfioJoins whether the callers bind vfio-pci to a device outside the group (the
   *   model's precondition, read from its action: see `promelaModel`).
   */
  constructor(readonly devices: number, readonly bindVfioJoins: boolean) {}

  dev(d: number, f: string): string { return `dev[${d}].${f}`; }
  user(u: number): string { return `user[${u}].phase`; }

  /** `if (g1) A else if (g2) B ... else Z`, as nested Promela `if`s (first guard that holds wins). */
  cascade(branches: readonly (readonly [string, readonly string[]])[], otherwise: readonly string[]): string[] {
    if (branches.length === 0) return [...otherwise];
    const [[guard, body], ...rest] = branches;
    const tail = this.cascade(rest, otherwise);
    return ['if', `:: ${guard} ->`, ...indent(body.length ? body : ['skip']), ':: else ->', ...indent(tail.length ? tail : ['skip']), 'fi'];
  }

  /** `attachMembers(c, domain)`: every member of the group is attached to `domain`. */
  attachMembers(domain: string): string[] {
    const out: string[] = [];
    for (let d = 0; d < this.devices; d++) out.push(`${this.dev(d, 'domain')} = (${this.dev(d, 'in_group')} -> ${domain} : ${this.dev(d, 'domain')})`);
    return out;
  }

  /** `memberCount(c)` */
  memberCount(): string {
    return `(${Array.from({ length: this.devices }, (_, d) => this.dev(d, 'in_group')).join(' + ')})`;
  }

  /** `bindDriver(c, d, driver, counted)`, which for vfio-pci also sets the ghost `fd_openable`. */
  bindDriver(d: number, driver: 'kernel' | 'vfio', counted: boolean): string[] {
    const fd = driver === 'vfio' ? ['g_fd_openable = 1'] : [];
    return [`${this.dev(d, 'driver')} = ${DRIVER_NAME[driver]}`, `${this.dev(d, 'counted')} = ${counted ? 1 : 0}`, ...fd];
  }

  /** `removeMember(c, d)`: `d` leaves; the last member's leaving clears `fd_openable`. */
  removeMember(d: number): string[] {
    return [`${this.dev(d, 'in_group')} = 0`, `${this.dev(d, 'domain')} = NODOM`, `g_fd_openable = (${this.memberCount()} == 0 -> 0 : g_fd_openable)`];
  }

  unbindDriver(d: number): string[] {
    return [`${this.dev(d, 'driver')} = NODRV`, `${this.dev(d, 'counted')} = 0`, `${this.dev(d, 'priv')} = 0`];
  }

  /** `group->owner_cnt++`, with dmaown's schema range as an assertion (dmaown throws SchemaError). */
  incOwnerCnt(): string[] {
    return ['assert(g_owner_cnt < MAX_OWNER_CNT)', 'g_owner_cnt++'];
  }

  markClaimed(u: UserName): string[] { return [`${this.user(USERS.indexOf(u))} = CLAIMED`]; }
  markReleased(u: UserName): string[] { return [`${this.user(USERS.indexOf(u))} = IDLE`]; }
  markAttached(dom: Domain): string[] {
    const u = userOfDomain(dom);
    return u < 0 ? [] : [`${this.user(u)} = ATTACHED`];
  }
  markDetached(dom: Domain): string[] {
    const u = userOfDomain(dom);
    return u < 0 ? [] : [`${this.user(u)} = (${this.user(u)} == ATTACHED -> CLAIMED : ${this.user(u)})`];
  }
  privAttached(d: number, dom: Domain): string[] { return dom === 'priv' ? [`${this.dev(d, 'priv')} = 1`] : []; }
  privDetached(d: number, dom: Domain): string[] { return dom === 'priv' ? [`${this.dev(d, 'priv')} = 0`] : []; }

  ret(code: keyof typeof Errno): string[] { return [`ret = ${code}`]; }
  warn(): string[] { return ['warn = 1']; }

  /**
   * The precondition of a caller action (src/iommu/callers.ts), in Promela. Throws for an
   * action this writer does not know, so a new caller cannot be silently left out.
   */
  enabled(e: IommuEvent): string {
    const ev = e as IommuEvent & { dev?: number };
    const d = ev.dev ?? -1;
    switch (e.type) {
      case 'probe_device': return `!${this.dev(d, 'in_group')}`;
      case 'bind_driver':
        if (e.driver === 'vfio' && !this.bindVfioJoins) return `${this.dev(d, 'driver')} == NODRV && ${this.dev(d, 'in_group')}`;
        if (e.driver === 'kernel' || e.driver === 'vfio') return `${this.dev(d, 'driver')} == NODRV`;
        throw new Error(`no Promela precondition for binding ${e.driver}`);
      case 'attach_device': return `${this.dev(d, 'driver')} == KERNEL && !${this.dev(d, 'priv')}`;
      case 'detach_device': return `${this.dev(d, 'driver')} == KERNEL && ${this.dev(d, 'priv')}`;
      case 'unbind_driver': return `${this.dev(d, 'driver')} != NODRV && !${this.dev(d, 'priv')}`;
      case 'release_device': return `${this.dev(d, 'in_group')} && ${this.dev(d, 'driver')} == NODRV`;
      // Through the group fd (both translated designs): vfio-pci has bound a member of the group.
      case 'claim': return `${this.user(USERS.indexOf(e.owner))} == IDLE && g_fd_openable`;
      case 'attach_group': return `${this.user(userOfDomain(e.domain))} == CLAIMED && ${this.memberCount()} > 0`;
      case 'detach_group': return `${this.user(userOfDomain(e.domain))} == ATTACHED`;
      case 'release': return `${this.user(USERS.indexOf(e.owner))} == CLAIMED`;
      default: throw new Error(`no Promela precondition for caller action ${e.type}`);
    }
  }
}

function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `   ${l}`);
}

/** One design's handling of each event the callers send: the Promela body of its `d_step`. */
type Translation = (k: Code, e: IommuEvent) => string[];

// ---- v7 (machines/v7.ts) ----

/** `group->domain && group->domain != group->default_domain` */
const V7_FOREIGN = 'g_domain != NODOM && g_domain != DEFAULT';

/** v7DetachGroup(): owned -> every member and the group on no domain; else back to the default domain. */
function v7DetachGroup(k: Code): string[] {
  return k.cascade(
    [
      ['g_owner != NOBODY', [...k.attachMembers('NODOM'), 'g_domain = NODOM']],
      ['g_domain == DEFAULT', []],
    ],
    [...k.attachMembers('DEFAULT'), 'g_domain = DEFAULT'],
  );
}

const v7: Translation = (k, e) => {
  switch (e.type) {
    case 'probe_device': {
      const d = e.dev;
      const add = [`${k.dev(d, 'in_group')} = 1`, `${k.dev(d, 'domain')} = g_domain`];
      return k.cascade([['g_owner != NOBODY', [...k.ret('OK'), ...add]]], [...k.ret('OK'), ...add, `${k.dev(d, 'domain')} = DEFAULT`]);
    }
    case 'release_device':
      return [...k.ret('OK'), ...k.removeMember(e.dev)];
    case 'bind_driver': {
      const d = e.dev;
      if (e.driver === 'vfio') return [...k.ret('OK'), ...k.bindDriver(d, 'vfio', false)];
      return k.cascade(
        [
          [`!${k.dev(d, 'in_group')}`, [...k.ret('OK'), ...k.bindDriver(d, 'kernel', false)]],
          ['g_owner_cnt != 0 && (g_domain != DEFAULT || g_owner != NOBODY)', k.ret('EBUSY')],
        ],
        [...k.ret('OK'), ...k.incOwnerCnt(), ...k.bindDriver(d, 'kernel', true)],
      );
    }
    case 'unbind_driver': {
      const d = e.dev;
      return k.cascade(
        [
          [`${k.dev(d, 'driver')} != KERNEL`, [...k.ret('OK'), ...k.unbindDriver(d)]],
          [`!${k.dev(d, 'in_group')}`, [...k.ret('OK'), ...k.unbindDriver(d)]],
          ['g_owner_cnt == 0', [...k.ret('OK'), ...k.unbindDriver(d), ...k.warn()]],
        ],
        [...k.ret('OK'), 'g_owner_cnt--', ...k.unbindDriver(d)],
      );
    }
    case 'claim':
      return k.cascade(
        [
          ['g_owner_cnt != 0', k.ret('EPERM')],
          [V7_FOREIGN, k.ret('EBUSY')],
          ['g_domain != NODOM', [...k.ret('OK'), `g_owner = ${oname(e.owner)}`, ...v7DetachGroup(k), ...k.incOwnerCnt(), ...k.markClaimed(e.owner)]],
        ],
        [...k.ret('OK'), `g_owner = ${oname(e.owner)}`, ...k.incOwnerCnt(), ...k.markClaimed(e.owner)],
      );
    case 'release':
      return k.cascade(
        [
          ['g_owner_cnt == 0 || g_owner == NOBODY', [...k.ret('OK'), ...k.markReleased(e.owner), ...k.warn()]],
          ['g_domain != NODOM', [...k.ret('OK'), 'g_owner_cnt = 0', 'g_owner = NOBODY', ...k.markReleased(e.owner), ...k.warn()]],
        ],
        [...k.ret('OK'), 'g_owner_cnt = 0', ...k.attachMembers('DEFAULT'), 'g_domain = DEFAULT', 'g_owner = NOBODY', ...k.markReleased(e.owner)],
      );
    case 'attach_group':
      return k.cascade([[V7_FOREIGN, k.ret('EBUSY')]], [...k.ret('OK'), ...k.attachMembers(dname(e.domain)), `g_domain = ${dname(e.domain)}`, ...k.markAttached(e.domain)]);
    case 'detach_group':
      return k.cascade(
        [
          ['g_owner != NOBODY', [...k.ret('OK'), ...v7DetachGroup(k), ...k.markDetached(e.domain)]],
          ['g_domain == DEFAULT', [...k.ret('OK'), ...k.markDetached(e.domain)]],
        ],
        [...k.ret('OK'), ...v7DetachGroup(k), ...k.markDetached(e.domain)],
      );
    case 'attach_device': {
      const d = e.dev;
      return k.cascade(
        [
          [`!${k.dev(d, 'in_group')}`, k.ret('ENODEV')],
          [`${k.memberCount()} != 1`, k.ret('EINVAL')],
          [V7_FOREIGN, k.ret('EBUSY')],
        ],
        [...k.ret('OK'), ...k.attachMembers(dname(e.domain)), `g_domain = ${dname(e.domain)}`, ...k.privAttached(d, e.domain)],
      );
    }
    case 'detach_device': {
      const d = e.dev;
      const priv = k.privDetached(d, e.domain);
      return k.cascade(
        [
          [`!${k.dev(d, 'in_group')}`, [...k.ret('OK'), ...priv]],
          [`${k.memberCount()} != 1`, [...k.ret('OK'), ...priv, ...k.warn()]],
          ['g_owner != NOBODY', [...k.ret('OK'), ...v7DetachGroup(k), ...priv]],
          ['g_domain == DEFAULT', [...k.ret('OK'), ...priv]],
        ],
        [...k.ret('OK'), ...v7DetachGroup(k), ...priv],
      );
    }
    default:
      throw new Error(`v7: no Promela translation for ${e.type}`);
  }
};

// ---- v8 (machines/v8.ts: v5.19 as merged) ----

/** `__iommu_group_set_domain(group, X)`: nothing if already on X, else every member and the group to X. */
function setGroupDomain(k: Code, domain: string): string[] {
  return k.cascade([[`g_domain == ${domain}`, []]], [...k.attachMembers(domain), `g_domain = ${domain}`]);
}

/** `__iommu_group_set_core_domain()`: blocking while owned, else default. */
function setCoreDomain(k: Code): string[] {
  return k.cascade([['g_owner != NOBODY', setGroupDomain(k, 'BLOCKING')]], setGroupDomain(k, 'DEFAULT'));
}

/** iommu_probe_device() (v5.19): joins with `group->domain`; the default domain unless owned. */
function v8Probe(k: Code, d: number): string[] {
  return [
    `${k.dev(d, 'in_group')} = 1`,
    `${k.dev(d, 'domain')} = g_domain`,
    `${k.dev(d, 'domain')} = (g_owner == NOBODY -> DEFAULT : ${k.dev(d, 'domain')})`,
  ];
}

function v8ProbeIfOutside(k: Code, d: number): string[] {
  return k.cascade([[`!${k.dev(d, 'in_group')}`, v8Probe(k, d)]], []);
}

const V8_NOT_CORE = 'g_domain != NODOM && g_domain != DEFAULT && g_domain != BLOCKING';

const v8: Translation = (k, e) => {
  switch (e.type) {
    case 'probe_device':
      return [...k.ret('OK'), ...v8Probe(k, e.dev)];
    case 'release_device':
      return [...k.ret('OK'), ...k.removeMember(e.dev)];
    case 'bind_driver': {
      const d = e.dev;
      if (e.driver === 'vfio') return [...k.ret('OK'), ...v8ProbeIfOutside(k, d), ...k.bindDriver(d, 'vfio', false)];
      return k.cascade(
        [['g_owner_cnt != 0 && (g_domain != DEFAULT || g_owner != NOBODY)', [...k.ret('EBUSY'), ...v8ProbeIfOutside(k, d)]]],
        [...k.ret('OK'), ...v8ProbeIfOutside(k, d), ...k.incOwnerCnt(), ...k.bindDriver(d, 'kernel', true)],
      );
    }
    case 'unbind_driver': {
      const d = e.dev;
      return k.cascade(
        [
          [`${k.dev(d, 'driver')} != KERNEL`, [...k.ret('OK'), ...k.unbindDriver(d)]],
          [`!${k.dev(d, 'in_group')}`, [...k.ret('OK'), ...k.unbindDriver(d)]],
          ['g_owner_cnt == 0', [...k.ret('OK'), ...k.unbindDriver(d), ...k.warn()]],
        ],
        [...k.ret('OK'), 'g_owner_cnt--', ...k.unbindDriver(d)],
      );
    }
    case 'claim':
      return k.cascade(
        [
          ['g_owner_cnt != 0', k.ret('EPERM')],
          ['g_domain != NODOM && g_domain != DEFAULT', k.ret('EBUSY')],
        ],
        [...k.ret('OK'), ...setGroupDomain(k, 'BLOCKING'), `g_owner = ${oname(e.owner)}`, ...k.incOwnerCnt(), ...k.markClaimed(e.owner)],
      );
    case 'release':
      return k.cascade(
        [['g_owner_cnt == 0 || g_owner == NOBODY', [...k.ret('OK'), ...k.markReleased(e.owner), ...k.warn()]]],
        [...k.ret('OK'), 'g_owner_cnt = 0', 'g_owner = NOBODY', ...setGroupDomain(k, 'DEFAULT'), ...k.markReleased(e.owner)],
      );
    case 'attach_group':
      return k.cascade([[V8_NOT_CORE, k.ret('EBUSY')]], [...k.ret('OK'), ...k.attachMembers(dname(e.domain)), `g_domain = ${dname(e.domain)}`, ...k.markAttached(e.domain)]);
    case 'detach_group':
      return [...k.ret('OK'), ...setCoreDomain(k), ...k.markDetached(e.domain)];
    case 'attach_device': {
      const d = e.dev;
      return k.cascade(
        [
          [`!${k.dev(d, 'in_group')}`, k.ret('ENODEV')],
          [`${k.memberCount()} != 1`, k.ret('EINVAL')],
          [V8_NOT_CORE, k.ret('EBUSY')],
        ],
        [...k.ret('OK'), ...k.attachMembers(dname(e.domain)), `g_domain = ${dname(e.domain)}`, ...k.privAttached(d, e.domain)],
      );
    }
    case 'detach_device': {
      const d = e.dev;
      const priv = k.privDetached(d, e.domain);
      return k.cascade(
        [
          [`!${k.dev(d, 'in_group')}`, [...k.ret('OK'), ...priv]],
          [`g_domain != ${dname(e.domain)}`, [...k.ret('OK'), ...priv, ...k.warn()]],
          [`${k.memberCount()} != 1`, [...k.ret('OK'), ...priv, ...k.warn()]],
        ],
        [...k.ret('OK'), ...setCoreDomain(k), ...priv],
      );
    }
    default:
      throw new Error(`v8: no Promela translation for ${e.type}`);
  }
};

const TRANSLATIONS: Readonly<Record<string, Translation>> = { v7, v8 };

/**
 * Where dmaown's model of `design` does not follow a caller rule the design declares, and the
 * Promela model (which follows the declaration) therefore differs: a sentence, or null. It
 * checks `bindJoinsGroup`. The other declared rule, `vfioFd`, needs no check here: the writer
 * translates the group-fd claim only, and a design claiming through device fds has no
 * `fd_openable`, which `checkStandardSchema` refuses.
 */
export function callerRuleMismatch(design: Design, devices: number): string | null {
  const actions = buildIommuModel(design, devices, []).actions;
  const bindVfio = actions.find((a) => a.event.type === 'bind_driver' && a.event.driver === 'vfio');
  if (!bindVfio) return null;
  const modelJoins = bindVfio.enabled(design.initialContext(devices));
  const declared = design.bindJoinsGroup === true;
  if (modelJoins === declared) return null;
  return `${design.name} declares bindJoinsGroup: ${declared}, but dmaown's model ${modelJoins ? 'lets' : 'does not let'} vfio-pci bind to a device outside the group (src/iommu/iommuModel.ts builds callerActions(devices) without { bindJoinsGroup: design.bindJoinsGroup })`;
}

/** Whether `promelaModel` can write `design`. */
export function hasPromela(design: Design): boolean {
  return design.name in TRANSLATIONS && !design.callers;
}

// ---- the model ----

/**
 * The initial value of every field, encoded, as an initialiser: SPIN's initial state is then the
 * model's initial state (no initialising step whose before-state SPIN would store). A device or
 * user field must start equal in every device or user, since it is initialised in the typedef.
 */
function initialisers(design: Design, devices: number): { group: Map<string, number>; device: Map<string, number>; user: Map<string, number> } {
  const s = design.schema(devices);
  const c: GroupContext = design.initialContext(devices);
  const group = new Map<string, number>();
  for (const [k, spec] of Object.entries(s.group)) group.set(k, encodeValue(spec, c[k], k));
  const uniform = (rows: readonly Record<string, unknown>[], map: FieldMap, what: string) => {
    const out = new Map<string, number>();
    for (const [k, spec] of Object.entries(map)) {
      const vals = new Set(rows.map((r, i) => encodeValue(spec, r[k], `${what}[${i}].${k}`)));
      if (vals.size > 1) throw new Error(`${what}.${k} starts with different values in different ${what}s; the Promela writer initialises it in the typedef`);
      out.set(k, vals.size ? [...vals][0] : 0);
    }
    return out;
  };
  return { group, device: uniform(c.devices, s.device, 'device'), user: uniform(c.users, s.user, 'user') };
}

function declare(name: string, spec: FieldSpec, init: number): string {
  return `unsigned ${name} : ${Math.max(1, bitsFor(spec))} = ${init}`;
}

function fieldsOf(map: FieldMap, init: Map<string, number>, prefix = ''): string[] {
  return Object.entries(map).map(([k, spec]) => declare(prefix + k, spec, init.get(k) ?? 0));
}

/**
 * The Promela model of `design` at `devices` devices: the design's state variables, and one
 * process that runs the modelled callers' actions forever, each as one `d_step`.
 */
export function promelaModel(design: Design, devices: number, options: PromelaOptions = {}): string {
  const translate = TRANSLATIONS[design.name];
  if (!translate) throw new Error(`no Promela translation for design ${design.name} (have: ${Object.keys(TRANSLATIONS).join(', ')})`);
  if (design.callers) throw new Error(`design ${design.name} has its own callers; the Promela writer models the standard ones`);
  checkStandardSchema(design, devices);
  const schema = design.schema(devices);
  // The caller actions in the order of dmaown's model; their preconditions are written below
  // from the callers' rules (src/iommu/callers.ts) and the design's declarations, not read from
  // the model, so that a difference between the two shows up as a difference in the counts.
  const actions: readonly CallerAction[] = buildIommuModel(design, devices, []).actions;
  const k = new Code(devices, options.bindVfioJoins ?? design.bindJoinsGroup === true);
  const cnt = schema.group.owner_cnt;
  if (cnt.kind !== 'int') throw new Error('owner_cnt must be an int field');

  const init = initialisers(design, devices);
  const lines: string[] = [
    `/* dmaown: design ${design.name} at ${devices} device(s), written by bench/promela.ts. */`,
    `/* ${design.title} */`,
    `/* ${actions.length} caller actions; the state is the variables below (ret and warn are hidden). */`,
    '',
    ...valueDefines(),
    `#define MAX_OWNER_CNT ${cnt.max}`,
    '',
    `typedef Device {`,
    ...fieldsOf(schema.device, init.device).map((f) => `   ${f};`),
    `}`,
    `typedef User {`,
    ...fieldsOf(schema.user, init.user).map((f) => `   ${f};`),
    `}`,
    '',
    ...fieldsOf(schema.group, init.group, 'g_').map((f) => `${f};`),
    `Device dev[${devices}];`,
    `User user[${USERS.length}];`,
    '/* The outcome of the last call: not state (hidden from the state vector). */',
    'hidden short ret;',
    'hidden byte warn;',
    '',
    'active proctype callers() {',
    'end:',
    '   do',
  ];
  for (const a of actions) {
    const body = [...translate(k, a.event)];
    const tail = options.warnAsAssertion ? ['assert(!warn)'] : [];
    const stmts = ['warn = 0', ...body, ...tail];
    lines.push(`   /* ${describe(a.event)} */`);
    lines.push(`   :: d_step { ${k.enabled(a.event)} ->`);
    lines.push(...indent(indent(joinStatements(stmts))));
    lines.push('      }');
  }
  lines.push('   od', '}', '');
  return lines.join('\n');
}

function describe(e: IommuEvent): string {
  return Object.entries(e).map(([k, v]) => (k === 'type' ? String(v) : `${k}=${String(v)}`)).join(' ');
}

/** Puts `;` between statements (not after the last one, and never after `if`, `::`, `->` or before `fi`). */
function joinStatements(stmts: readonly string[]): string[] {
  const flat: string[] = [];
  for (const s of stmts) flat.push(...s.split('\n'));
  const out: string[] = [];
  for (let i = 0; i < flat.length; i++) {
    const cur = flat[i];
    const next = flat[i + 1]?.trim();
    const t = cur.trim();
    const open = t === 'if' || t.endsWith('->') || t === ':: else ->';
    const closeNext = next === undefined || next === 'fi' || next.startsWith('::');
    out.push(open || closeNext ? cur : `${cur};`);
  }
  return out;
}
