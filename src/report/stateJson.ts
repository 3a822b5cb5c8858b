import type { GroupContext } from '../model/context';
import type { ContextSchema } from '../model/schema';

/** Device fields that are the model's ghost variables, not kernel state: left out of replay output. */
export const GHOST_DEVICE_FIELDS: readonly string[] = ['counted', 'priv'];

/** The kernel-visible group fields of a context, in schema order. */
export function groupJson(schema: ContextSchema, c: GroupContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(schema.group)) out[k] = c[k];
  return out;
}

/** The kernel-visible fields of every device, in schema order. */
export function devicesJson(schema: ContextSchema, c: GroupContext): Record<string, unknown>[] {
  const keys = Object.keys(schema.device).filter((k) => !GHOST_DEVICE_FIELDS.includes(k));
  return c.devices.map((d) => {
    const o: Record<string, unknown> = {};
    for (const k of keys) o[k] = d[k];
    return o;
  });
}

/** `owner_cnt=1 owner=file1 domain=dom1` */
export function groupText(schema: ContextSchema, c: GroupContext): string {
  return Object.keys(schema.group).map((k) => `${k}=${c[k] === null ? 'null' : String(c[k])}`).join(' ');
}

/** One cell per device: `out` / `out+kernel` outside the group, `kernel@default`, `none@null` inside. */
export function devicesText(c: GroupContext): string {
  return c.devices
    .map((d, i) => {
      const drv = d.driver === 'none' ? '' : `+${d.driver}`;
      const cell = d.in_group ? `${d.driver}@${d.domain === null ? 'null' : d.domain}` : `out${drv}`;
      return `d${i}:${cell}`;
    })
    .join(' ');
}
