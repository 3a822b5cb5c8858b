import type { Design } from '../iommu/design';
import type { GroupContext } from '../model/context';
import { USERS, type GroupStateName } from '../model/vocabulary';
import { GHOST_DEVICE_FIELDS } from '../report/stateJson';

/**
 * A state as the explorer page shows it: the finite state, the group's fields, every device's
 * fields (ghost ones included, named in `ghost`) and each VFIO user's phase. Field values are
 * the context's own (`null` for no domain / no owner).
 */
export interface StateView {
  readonly state: GroupStateName;
  readonly group: Record<string, unknown>;
  readonly devices: Record<string, unknown>[];
  readonly users: { name: string; phase: unknown }[];
}

/** Which device fields are the model's ghost variables (not kernel state). */
export const GHOST_FIELDS: readonly string[] = GHOST_DEVICE_FIELDS;

/** The view of `context` in finite state `state`, fields in the design's schema order. */
export function stateView(design: Design, devices: number, state: GroupStateName, context: GroupContext): StateView {
  const schema = design.schema(devices);
  const group: Record<string, unknown> = {};
  for (const k of Object.keys(schema.group)) group[k] = context[k];
  const deviceKeys = Object.keys(schema.device);
  const devs = context.devices.map((d) => {
    const o: Record<string, unknown> = {};
    for (const k of deviceKeys) o[k] = d[k];
    return o;
  });
  const users = context.users.map((u, i) => ({ name: USERS[i], phase: u.phase as unknown }));
  return { state, group, devices: devs, users };
}

/**
 * The fields that differ between two views, as paths the page marks: `state`,
 * `group.owner_cnt`, `devices.1.domain`, `users.0.phase`.
 */
export function changedFields(before: StateView, after: StateView): string[] {
  const out: string[] = [];
  if (before.state !== after.state) out.push('state');
  for (const k of Object.keys(after.group)) if (before.group[k] !== after.group[k]) out.push(`group.${k}`);
  after.devices.forEach((d, i) => {
    for (const k of Object.keys(d)) if (before.devices[i]?.[k] !== d[k]) out.push(`devices.${i}.${k}`);
  });
  after.users.forEach((u, i) => {
    if (before.users[i]?.phase !== u.phase) out.push(`users.${i}.phase`);
  });
  return out;
}
