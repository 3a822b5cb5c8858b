import type { DeviceContext, GroupContext, UserContext } from './context';
import { bitsFor, type ContextSchema, type FieldSpec } from './schema';

/** Raised when a model writes a value its schema does not allow: a bug in the model. */
export class SchemaError extends Error {}

/** Where one field lives inside a packed state row. */
export interface FieldSlot {
  readonly path: string;
  readonly spec: FieldSpec;
  readonly word: number;
  readonly shift: number;
  readonly bits: number;
}

function decodeRaw(spec: FieldSpec, raw: number): unknown {
  return spec.kind === 'enum' ? spec.values[raw] : raw + spec.min;
}

function makeEncoder(spec: FieldSpec, path: string): (v: unknown) => number {
  if (spec.kind === 'int') {
    const { min, max } = spec;
    return (v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new SchemaError(`${path} = ${String(v)} is outside its schema range ${min}..${max}`);
      }
      return v - min;
    };
  }
  const index = new Map<unknown, number>();
  spec.values.forEach((v, i) => index.set(v, i));
  return (v) => {
    const i = index.get(v);
    if (i === undefined) throw new SchemaError(`${path} = ${JSON.stringify(v)} is not one of ${JSON.stringify(spec.values)}`);
    return i;
  };
}

/**
 * A context viewed through a packed row of uint32 words: reading a field decodes its bits,
 * writing one encodes them. Guards and effects written against `GroupContext` run unchanged on
 * a view, which is what lets the compiled transition function skip object allocation.
 */
export interface PackedView extends GroupContext {
  /** The row this view reads and writes; exactly `layout.words` long. */
  readonly buf: Uint32Array;
  /** Index of the machine's finite state (into `layout.stateNames`). */
  $state: number;
}

/**
 * The packed encoding of one design's states at one bound: every field of the schema gets a
 * fixed bit slot; a field never straddles two words. The machine's finite state is a field too.
 */
export class PackedLayout {
  readonly words: number;
  readonly bits: number;
  readonly slots: FieldSlot[] = [];
  private readonly groupKeys: string[];
  private readonly deviceKeys: string[];
  private readonly userKeys: string[];

  constructor(
    readonly schema: ContextSchema,
    readonly devices: number,
    readonly users: number,
    readonly stateNames: readonly string[],
  ) {
    let word = 0;
    let used = 0;
    let total = 0;
    const place = (path: string, spec: FieldSpec): FieldSlot => {
      const bits = bitsFor(spec);
      if (bits > 32) throw new SchemaError(`${path} needs ${bits} bits; at most 32 fit a word`);
      if (used + bits > 32) { word++; used = 0; }
      const slot: FieldSlot = { path, spec, word, shift: used, bits };
      used += bits;
      total += bits;
      this.slots.push(slot);
      return slot;
    };
    place('$state', { kind: 'int', min: 0, max: Math.max(0, stateNames.length - 1) });
    this.groupKeys = Object.keys(schema.group);
    this.deviceKeys = Object.keys(schema.device);
    this.userKeys = Object.keys(schema.user);
    for (const k of this.groupKeys) place(k, schema.group[k]);
    for (let d = 0; d < devices; d++) for (const k of this.deviceKeys) place(`devices[${d}].${k}`, schema.device[k]);
    for (let u = 0; u < users; u++) for (const k of this.userKeys) place(`users[${u}].${k}`, schema.user[k]);
    this.words = word + 1;
    this.bits = total;
  }

  /** A fresh view over its own zeroed row. */
  createView(): PackedView {
    const buf = new Uint32Array(this.words);
    const view = { buf, ret: 0, warn: false } as unknown as PackedView;
    const define = (target: object, key: string, slot: FieldSlot) => {
      const { word, shift, spec } = slot;
      const mask = slot.bits === 32 ? 0xffffffff : (1 << slot.bits) - 1;
      const clear = ~(mask << shift);
      const encode = makeEncoder(spec, slot.path);
      const get = spec.kind === 'enum'
        ? ((values: readonly unknown[]) => () => values[(buf[word] >>> shift) & mask])(spec.values)
        : ((min: number) => () => ((buf[word] >>> shift) & mask) + min)(spec.min);
      Object.defineProperty(target, key, {
        enumerable: true,
        get,
        set(v: unknown) { buf[word] = (buf[word] & clear) | (encode(v) << shift); },
      });
    };
    let i = 0;
    const s = this.slots;
    define(view, '$state', s[i++]);
    for (const k of this.groupKeys) define(view, k, s[i++]);
    const devices: DeviceContext[] = [];
    for (let d = 0; d < this.devices; d++) {
      const dv = {} as DeviceContext;
      for (const k of this.deviceKeys) define(dv, k, s[i++]);
      devices.push(dv);
    }
    const users: UserContext[] = [];
    for (let u = 0; u < this.users; u++) {
      const uv = {} as UserContext;
      for (const k of this.userKeys) define(uv, k, s[i++]);
      users.push(uv);
    }
    Object.defineProperty(view, 'devices', { value: devices, enumerable: true });
    Object.defineProperty(view, 'users', { value: users, enumerable: true });
    return view;
  }

  /** Decodes a row into a plain context (ret 0, no warning) and its finite state name. */
  decode(row: Uint32Array, off = 0): { state: string; context: GroupContext } {
    const field = (slot: FieldSlot) => decodeRaw(slot.spec, (row[off + slot.word] >>> slot.shift) & (slot.bits === 32 ? 0xffffffff : (1 << slot.bits) - 1));
    let i = 0;
    const state = this.stateNames[field(this.slots[i++]) as number];
    const ctx: Record<string, unknown> = {};
    for (const k of this.groupKeys) ctx[k] = field(this.slots[i++]);
    const devices: Record<string, unknown>[] = [];
    for (let d = 0; d < this.devices; d++) {
      const dv: Record<string, unknown> = {};
      for (const k of this.deviceKeys) dv[k] = field(this.slots[i++]);
      devices.push(dv);
    }
    const users: Record<string, unknown>[] = [];
    for (let u = 0; u < this.users; u++) {
      const uv: Record<string, unknown> = {};
      for (const k of this.userKeys) uv[k] = field(this.slots[i++]);
      users.push(uv);
    }
    return { state, context: { ...ctx, devices, users, ret: 0, warn: false } as unknown as GroupContext };
  }

  /** Encodes a plain context and finite state into `out` (at `off`); throws SchemaError on a value the schema lacks. */
  encode(state: string, ctx: GroupContext, out: Uint32Array, off = 0): void {
    out.fill(0, off, off + this.words);
    const put = (slot: FieldSlot, v: unknown) => {
      out[off + slot.word] = (out[off + slot.word] | (makeEncoder(slot.spec, slot.path)(v) << slot.shift)) >>> 0;
    };
    let i = 0;
    const si = this.stateNames.indexOf(state);
    if (si < 0) throw new SchemaError(`unknown machine state ${JSON.stringify(state)}`);
    put(this.slots[i++], si);
    for (const k of this.groupKeys) put(this.slots[i++], ctx[k]);
    if (ctx.devices.length !== this.devices) throw new SchemaError(`context has ${ctx.devices.length} devices, layout ${this.devices}`);
    for (let d = 0; d < this.devices; d++) for (const k of this.deviceKeys) put(this.slots[i++], ctx.devices[d][k]);
    for (let u = 0; u < this.users; u++) for (const k of this.userKeys) put(this.slots[i++], ctx.users[u][k]);
  }
}
