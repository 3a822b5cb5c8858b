import { InputError, shown } from '../errors';
import { DOMAINS, DRIVERS, USERS, type BoundDriver, type Domain, type UserName } from '../model/vocabulary';

/**
 * The events every design's machine receives: driver-core and hot-plug events (what really
 * calls the ownership functions) and the VFIO-facing kernel functions. This is also the event
 * format of `dmaown replay` and of every counterexample.
 */
export type IommuEvent =
  | { type: 'probe_device'; dev: number }
  | { type: 'release_device'; dev: number }
  | { type: 'bind_driver'; dev: number; driver: BoundDriver }
  | { type: 'unbind_driver'; dev: number }
  | { type: 'claim'; owner: UserName }
  | { type: 'release'; owner: UserName }
  | { type: 'attach_group'; domain: Domain }
  | { type: 'detach_group'; domain: Domain }
  | { type: 'attach_device'; domain: Domain; dev: number }
  | { type: 'detach_device'; domain: Domain; dev: number }
  | { type: 'attach_device_shared'; domain: Domain; dev: number }
  | { type: 'detach_device_shared'; domain: Domain; dev: number }
  | { type: 'owner_claimed' };

export type IommuEventType = IommuEvent['type'];

/** Which fields each event has, in the order they are printed. */
export const EVENT_FIELDS: Readonly<Record<IommuEventType, readonly ('dev' | 'driver' | 'owner' | 'domain')[]>> = {
  probe_device: ['dev'],
  release_device: ['dev'],
  bind_driver: ['dev', 'driver'],
  unbind_driver: ['dev'],
  claim: ['owner'],
  release: ['owner'],
  attach_group: ['domain'],
  detach_group: ['domain'],
  attach_device: ['domain', 'dev'],
  detach_device: ['domain', 'dev'],
  attach_device_shared: ['domain', 'dev'],
  detach_device_shared: ['domain', 'dev'],
  owner_claimed: [],
};

export { InputError };

/** Domains a caller can name: the blocking and default domains are the kernel's own. */
const ATTACHABLE: readonly Domain[] = DOMAINS.filter((d) => d !== null && d !== 'default' && d !== 'blocking');

/** Drivers a `bind_driver` event can name (whether the design has them is replay's to check). */
const BOUND: readonly BoundDriver[] = DRIVERS.filter((d): d is BoundDriver => d !== 'none');

/**
 * Checks that `raw` (parsed JSON) is an event for a group of `devices` devices and returns it
 * with its fields in canonical order. Throws InputError naming what is wrong.
 */
export function parseEvent(raw: unknown, devices: number, where: string): IommuEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`${where}: an event must be a JSON object, got ${shown(raw)}`);
  const o = raw as Record<string, unknown>;
  const type = o.type;
  // Own keys only: `in` would also take inherited names such as 'constructor' or 'toString'.
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(EVENT_FIELDS, type)) {
    throw new InputError(`${where}: unknown event type ${shown(type)} (known: ${Object.keys(EVENT_FIELDS).join(', ')})`);
  }
  const fields = EVENT_FIELDS[type as IommuEventType];
  for (const k of Object.keys(o)) if (k !== 'type' && !fields.includes(k as never)) throw new InputError(`${where}: ${type} has no field '${k}'`);
  const ev: Record<string, unknown> = { type };
  for (const f of fields) {
    const v = o[f];
    if (f === 'dev') {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new InputError(`${where}: ${type}.dev must be an integer, got ${shown(v)}`);
      if (v < 0 || v >= devices) throw new InputError(`${where}: device ${v} is out of range (the group has devices 0..${devices - 1})`);
    } else if (f === 'driver') {
      if (!BOUND.includes(v as BoundDriver)) throw new InputError(`${where}: ${type}.driver must be one of ${BOUND.map((d) => `"${d}"`).join(', ')}, got ${shown(v)}`);
    } else if (f === 'owner') {
      if (!USERS.includes(v as UserName)) throw new InputError(`${where}: ${type}.owner must be one of ${USERS.map((u) => `"${u}"`).join(', ')}, got ${shown(v)}`);
    } else if (f === 'domain') {
      if (!ATTACHABLE.includes(v as Domain)) throw new InputError(`${where}: ${type}.domain must be one of ${ATTACHABLE.map((d) => `"${d}"`).join(', ')}, got ${shown(v)}`);
    }
    ev[f] = v;
  }
  return ev as IommuEvent;
}

/** One line, e.g. `bind_driver(dev=0, driver=kernel)`. */
export function formatEvent(e: IommuEvent): string {
  const parts = EVENT_FIELDS[e.type].map((f) => `${f}=${String((e as Record<string, unknown>)[f])}`);
  return `${e.type}(${parts.join(', ')})`;
}
