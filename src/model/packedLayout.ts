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

/**
 * Where each device's fields live when they fit one word together: device `d` occupies the
 * `bits` bits at `shift[d]` of word `word[d]`, its fields in schema order from the low bit. Two
 * devices with equal chunks are in the same state, which is what device symmetry sorts on.
 */
export interface DeviceChunks {
  readonly bits: number;
  readonly word: readonly number[];
  readonly shift: readonly number[];
}

/**
 * Receives what a tracing view does (see `PackedLayout.createTracingView`). Slots are indexes
 * into `PackedLayout.slots`; `raw` is the field's encoded value.
 */
export interface TraceHooks {
  read(slot: number, raw: number): void;
  write(slot: number): void;
}

function decodeRaw(spec: FieldSpec, raw: number): unknown {
  return spec.kind === 'enum' ? spec.values[raw] : raw + spec.min;
}

function maskOf(bits: number): number {
  return bits === 32 ? 0xffffffff : (1 << bits) - 1;
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
 *
 * The fields are accessors on the view's prototype, not own properties: copy a view with
 * `layout.decode(view.buf)`, never with `{ ...view }` or `cloneContext`.
 */
export interface PackedView extends GroupContext {
  /** The row this view reads and writes; exactly `layout.words` long. */
  readonly buf: Uint32Array;
  /** Index of the machine's finite state (into `layout.stateNames`). */
  $state: number;
}

/** A JS identifier for a field name, or a quoted property name when it is not one. */
function propName(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

/**
 * The packed encoding of one design's states at one bound: every field of the schema gets a
 * fixed bit slot; a field never straddles two words. The machine's finite state is a field too.
 * Group and user fields come first; then, when a device's fields fit in one word, each device's
 * fields sit together in one chunk (see `DeviceChunks`), which makes device symmetry cheap.
 */
export class PackedLayout {
  readonly words: number;
  readonly bits: number;
  /** Every field: `$state`, the group's fields, each device's, each user's, in that order. */
  readonly slots: FieldSlot[] = [];
  /** Device chunks, or null when a device's fields need more than one word. */
  readonly deviceChunks: DeviceChunks | null;
  /** Index in `slots` of device `d`'s field `k`: `deviceSlot0 + d * deviceKeys.length + k`. */
  readonly deviceSlot0: number;
  /** Index in `slots` of user `u`'s field `k`: `userSlot0 + u * userKeys.length + k`. */
  readonly userSlot0: number;
  readonly groupKeys: readonly string[];
  readonly deviceKeys: readonly string[];
  readonly userKeys: readonly string[];
  private viewClass: (new (buf: Uint32Array) => PackedView) | null = null;

  constructor(
    readonly schema: ContextSchema,
    readonly devices: number,
    readonly users: number,
    readonly stateNames: readonly string[],
  ) {
    this.groupKeys = Object.keys(schema.group);
    this.deviceKeys = Object.keys(schema.device);
    this.userKeys = Object.keys(schema.user);
    let word = 0;
    let used = 0;
    let total = 0;
    const positions = new Map<string, { word: number; shift: number; bits: number; spec: FieldSpec }>();
    const place = (path: string, spec: FieldSpec) => {
      const bits = bitsFor(spec);
      if (bits > 32) throw new SchemaError(`${path} needs ${bits} bits; at most 32 fit a word`);
      if (used + bits > 32) { word++; used = 0; }
      positions.set(path, { word, shift: used, bits, spec });
      used += bits;
      total += bits;
    };
    place('$state', { kind: 'int', min: 0, max: Math.max(0, stateNames.length - 1) });
    for (const k of this.groupKeys) place(k, schema.group[k]);
    for (let u = 0; u < users; u++) for (const k of this.userKeys) place(`users[${u}].${k}`, schema.user[k]);
    const deviceBits = this.deviceKeys.reduce((n, k) => n + bitsFor(schema.device[k]), 0);
    if (deviceBits > 0 && deviceBits <= 32) {
      const cw: number[] = [];
      const cs: number[] = [];
      for (let d = 0; d < devices; d++) {
        if (used + deviceBits > 32) { word++; used = 0; }
        cw.push(word);
        cs.push(used);
        for (const k of this.deviceKeys) place(`devices[${d}].${k}`, schema.device[k]);
      }
      this.deviceChunks = { bits: deviceBits, word: cw, shift: cs };
    } else {
      for (let d = 0; d < devices; d++) for (const k of this.deviceKeys) place(`devices[${d}].${k}`, schema.device[k]);
      this.deviceChunks = null;
    }
    const add = (path: string) => {
      const p = positions.get(path)!;
      this.slots.push({ path, spec: p.spec, word: p.word, shift: p.shift, bits: p.bits });
    };
    add('$state');
    for (const k of this.groupKeys) add(k);
    this.deviceSlot0 = this.slots.length;
    for (let d = 0; d < devices; d++) for (const k of this.deviceKeys) add(`devices[${d}].${k}`);
    this.userSlot0 = this.slots.length;
    for (let u = 0; u < users; u++) for (const k of this.userKeys) add(`users[${u}].${k}`);
    this.words = word + 1;
    this.bits = total;
  }

  /**
   * A fresh view over its own zeroed row. Views are instances of a class generated once per
   * layout, with each field's word, shift and mask as constants, so reading a field costs a
   * shift and a mask. Writes check the value against the schema (SchemaError otherwise).
   */
  createView(): PackedView {
    this.viewClass ??= this.generateViewClass();
    return new this.viewClass(new Uint32Array(this.words));
  }

  /**
   * Source of the accessor pair of one field. `spec` is the slot whose spec the field has (for
   * devices and users, device 0's or user 0's); `slotExpr`, `wordExpr` and `shiftExpr` are JS
   * expressions for the field's own slot index, word and shift.
   */
  private accessorSource(name: string, spec: number, slotExpr: string, wordExpr: string, shiftExpr: string): string {
    const slot = this.slots[spec];
    const mask = maskOf(slot.bits);
    const raw = slot.bits === 0 ? '0' : `((this.$b[${wordExpr}] >>> ${shiftExpr}) & ${mask})`;
    const fs = slot.spec;
    let get: string;
    let enc: string;
    if (fs.kind === 'int') {
      get = `${raw} + ${fs.min}`;
      enc = `(typeof v === 'number' && Number.isInteger(v) && v >= ${fs.min} && v <= ${fs.max}) ? v - ${fs.min} : bad(${slotExpr}, v)`;
    } else if (fs.values.length === 2 && fs.values[0] === false && fs.values[1] === true) {
      get = `${raw} === 1`;
      enc = `v === true ? 1 : v === false ? 0 : bad(${slotExpr}, v)`;
    } else {
      get = `V[${spec}][${raw}]`;
      enc = fs.values.map((_, i) => `v === V[${spec}][${i}] ? ${i} : `).join('') + `bad(${slotExpr}, v)`;
    }
    const set = slot.bits === 0
      ? `{ ${enc}; }`
      : `{ const r = ${enc}; const b = this.$b; const w = ${wordExpr}; const s = ${shiftExpr}; b[w] = (b[w] & ~(${mask} << s)) | (r << s); }`;
    return `get ${propName(name)}() { return ${get}; }\n  set ${propName(name)}(v) ${set}\n  `;
  }

  private generateViewClass(): new (buf: Uint32Array) => PackedView {
    const V = this.slots.map((s) => (s.spec.kind === 'enum' ? s.spec.values : null));
    const encoders = this.slots.map((s) => makeEncoder(s.spec, s.path));
    // `bad` throws the schema error naming the field.
    const bad = (slot: number, v: unknown): never => {
      encoders[slot](v);
      throw new SchemaError(`${this.slots[slot].path} = ${String(v)} is not allowed`);
    };
    const nd = this.deviceKeys.length;
    const nu = this.userKeys.length;
    const chunks = this.deviceChunks;
    let src = '"use strict";\n';
    // Devices: one class for every device when chunked (word and shift per instance), else one
    // class per device with constant positions.
    const deviceClasses: string[] = [];
    if (chunks) {
      let body = '';
      let within = 0;
      this.deviceKeys.forEach((k, i) => {
        body += this.accessorSource(k, this.deviceSlot0 + i, `${this.deviceSlot0 + i} + this.$d * ${nd}`, 'this.$w', within === 0 ? 'this.$s' : `(this.$s + ${within})`);
        within += this.slots[this.deviceSlot0 + i].bits;
      });
      src += `class Dev { constructor(b, d, w, s) { this.$b = b; this.$d = d; this.$w = w; this.$s = s; }\n  ${body}}\n`;
    } else {
      for (let d = 0; d < this.devices; d++) {
        let body = '';
        this.deviceKeys.forEach((k, i) => {
          const index = this.deviceSlot0 + d * nd + i;
          const slot = this.slots[index];
          body += this.accessorSource(k, index, String(index), String(slot.word), String(slot.shift));
        });
        src += `class Dev${d} { constructor(b) { this.$b = b; }\n  ${body}}\n`;
        deviceClasses.push(`Dev${d}`);
      }
    }
    let userBody = '';
    if (this.users > 0) {
      this.userKeys.forEach((k, i) => {
        userBody += this.accessorSource(k, this.userSlot0 + i, `${this.userSlot0 + i} + this.$u * ${nu}`, `this.$w${i}`, `this.$s${i}`);
      });
    }
    const userInit = this.userKeys.map((_, i) => `this.$w${i} = UW[u][${i}]; this.$s${i} = US[u][${i}];`).join(' ');
    src += `class User { constructor(b, u) { this.$b = b; this.$u = u; ${userInit} }\n  ${userBody}}\n`;
    let groupBody = this.accessorSource('$state', 0, '0', String(this.slots[0].word), String(this.slots[0].shift));
    this.groupKeys.forEach((k, i) => {
      const slot = this.slots[1 + i];
      groupBody += this.accessorSource(k, 1 + i, String(1 + i), String(slot.word), String(slot.shift));
    });
    const devs = chunks
      ? `for (let d = 0; d < ${this.devices}; d++) devices.push(new Dev(buf, d, CW[d], CS[d]));`
      : deviceClasses.map((c) => `devices.push(new ${c}(buf));`).join(' ');
    src += `class View {
  constructor(buf) {
    this.$b = buf; this.buf = buf; this.ret = 0; this.warn = false;
    const devices = []; ${devs}
    const users = []; for (let u = 0; u < ${this.users}; u++) users.push(new User(buf, u));
    this.devices = devices; this.users = users;
  }
  ${groupBody}}
return View;`;
    const slotOf = (u: number, i: number) => this.slots[this.userSlot0 + u * nu + i];
    const UW = Array.from({ length: this.users }, (_, u) => this.userKeys.map((_, i) => slotOf(u, i).word));
    const US = Array.from({ length: this.users }, (_, u) => this.userKeys.map((_, i) => slotOf(u, i).shift));
    const make = new Function('V', 'bad', 'CW', 'CS', 'UW', 'US', src) as (...a: unknown[]) => new (buf: Uint32Array) => PackedView;
    return make(V, bad, chunks?.word ?? [], chunks?.shift ?? [], UW, US);
  }

  /**
   * A view that reports every field it reads and writes to `hooks`, for memoizing pure
   * functions of a row (see core/decisionTree). Slow: fields are per-object closures.
   */
  createTracingView(hooks: TraceHooks): PackedView {
    const buf = new Uint32Array(this.words);
    const view = { buf, ret: 0, warn: false } as unknown as PackedView;
    const define = (target: object, key: string, index: number) => {
      const slot = this.slots[index];
      const { word, shift, spec } = slot;
      const mask = maskOf(slot.bits);
      const encode = makeEncoder(spec, slot.path);
      Object.defineProperty(target, key, {
        enumerable: true,
        get() {
          const raw = (buf[word] >>> shift) & mask;
          hooks.read(index, raw);
          return decodeRaw(spec, raw);
        },
        set(v: unknown) {
          buf[word] = (buf[word] & ~(mask << shift)) | (encode(v) << shift);
          hooks.write(index);
        },
      });
    };
    let i = 0;
    define(view, '$state', i++);
    for (const k of this.groupKeys) define(view, k, i++);
    const devices: DeviceContext[] = [];
    for (let d = 0; d < this.devices; d++) {
      const dv = {} as DeviceContext;
      for (const k of this.deviceKeys) define(dv, k, i++);
      devices.push(dv);
    }
    const users: UserContext[] = [];
    for (let u = 0; u < this.users; u++) {
      const uv = {} as UserContext;
      for (const k of this.userKeys) define(uv, k, i++);
      users.push(uv);
    }
    Object.defineProperty(view, 'devices', { value: devices, enumerable: true });
    Object.defineProperty(view, 'users', { value: users, enumerable: true });
    return view;
  }

  /** The raw (encoded) value of slot `index` in a row. */
  raw(row: Uint32Array, index: number, off = 0): number {
    const s = this.slots[index];
    return (row[off + s.word] >>> s.shift) & maskOf(s.bits);
  }

  /** Decodes a row into a plain context (ret 0, no warning) and its finite state name. */
  decode(row: Uint32Array, off = 0): { state: string; context: GroupContext } {
    const field = (slot: FieldSlot) => decodeRaw(slot.spec, (row[off + slot.word] >>> slot.shift) & maskOf(slot.bits));
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
