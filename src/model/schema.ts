/**
 * A context schema: the finite set of values every field can take. The packed state encoding,
 * the Promela export and the JSON output are all derived from it, so a field a design adds is
 * declared once, here.
 */
export type FieldSpec =
  | { kind: 'enum'; values: readonly unknown[] }
  | { kind: 'int'; min: number; max: number };

export type FieldMap = Readonly<Record<string, FieldSpec>>;

export interface ContextSchema {
  /** Fields of the group itself (`owner_cnt`, `owner`, `domain`, ...). */
  group: FieldMap;
  /** Fields of every device. */
  device: FieldMap;
  /** Fields of every VFIO user. */
  user: FieldMap;
}

export const bool = (): FieldSpec => ({ kind: 'enum', values: [false, true] });
export const oneOf = (values: readonly unknown[]): FieldSpec => ({ kind: 'enum', values });
export const int = (min: number, max: number): FieldSpec => ({ kind: 'int', min, max });

/** How many distinct values a field has. */
export function cardinality(f: FieldSpec): number {
  return f.kind === 'enum' ? f.values.length : f.max - f.min + 1;
}

export function bitsFor(f: FieldSpec): number {
  const n = cardinality(f);
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}
