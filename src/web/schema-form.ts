/**
 * A plan's parameter schema (the JSON Schema the `plans` op returns) turned into
 * form fields, and the form's values turned back into params. Pure: the form
 * component renders these fields; tests run it in Node.
 *
 * The hints `x-device` (a device name; `readable`/`movable` narrows the choice)
 * and `x-row` (a flat `args` array made of repeated groups, one per motor) come
 * from the plan registry (docs/web.md).
 * @module
 */

type Schema = Readonly<Record<string, unknown>>;

export type FieldKind =
  | 'number' | 'integer' | 'string' | 'boolean' | 'enum'
  | 'device' | 'devices' | 'strings' | 'numbers' | 'rows' | 'json';

export interface Field {
  readonly name: string;
  readonly kind: FieldKind;
  readonly title: string;
  readonly description: string;
  readonly required: boolean;
  /** Null is allowed (an empty input sends nothing, so the server's default applies). */
  readonly nullable: boolean;
  readonly default: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly options?: readonly string[];
  readonly deviceRole?: 'readable' | 'movable' | 'any';
  /** `rows`: the cells of one row. */
  readonly row?: readonly Field[];
}

/** What the inputs hold: text as typed (parsed on submit), booleans, chosen names, rows of cells. */
export type FieldValue = string | boolean | string[] | string[][];
export type FormValues = Record<string, FieldValue>;

/** A problem found before asking the server: `path` as the server writes it (`/params/num`). */
export interface FormError { path: string; message: string }

function obj(x: unknown): Schema | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Schema) : null;
}

/** The one non-null branch of `anyOf` (or the schema itself), and whether null is allowed. */
function unwrap(s: Schema): { s: Schema; nullable: boolean } {
  const any = Array.isArray(s.anyOf) ? (s.anyOf as unknown[]).map(obj).filter((x): x is Schema => x !== null) : null;
  if (any === null) return { s, nullable: s.type === 'null' };
  const nonNull = any.filter((b) => b.type !== 'null');
  return { s: { ...s, ...(nonNull[0] ?? {}), anyOf: undefined }, nullable: nonNull.length < any.length };
}

/**
 * Plain words for bluesky's parameter names, used where the schema has no `title` of its own
 * (`args` is a Python varargs name; "snake" is scanning jargon). The description replaces the
 * schema's only where the name alone would mean nothing to a newcomer.
 */
export const PLAIN: Readonly<Record<string, { title: string; description?: string }>> = {
  args: { title: 'motor rows' },
  snake_axes: {
    title: 'snake rows',
    description: 'Scan every other row backwards, so the fast motor does not travel back to the start of each row (ticked: every motor but the slowest).',
  },
  md: { title: 'metadata' },
};

/** What the device pickers offer, in separate groups: detectors, then motors (whose positions can be read too). */
export interface DeviceGroup { id: 'detectors' | 'motors' | 'devices'; label: string; names: string[] }

/** The picker groups for a device role (`readable`: detectors and motors apart; `movable`: motors). */
export function deviceGroups(role: Field['deviceRole'], devices: ReadonlyArray<{ name: string; readable: boolean; movable: boolean }>): DeviceGroup[] {
  const motors = devices.filter((d) => d.movable).map((d) => d.name);
  if (role === 'movable') return [{ id: 'motors', label: 'motors', names: motors }];
  if (role === 'readable') {
    const detectors = devices.filter((d) => d.readable && !d.movable).map((d) => d.name);
    return [{ id: 'detectors', label: 'detectors', names: detectors }, { id: 'motors', label: 'motors and settable signals (read their positions too)', names: devices.filter((d) => d.readable && d.movable).map((d) => d.name) }]
      .filter((g) => g.names.length > 0) as DeviceGroup[];
  }
  return [{ id: 'devices', label: 'devices', names: devices.map((d) => d.name) }];
}

function role(x: unknown): Field['deviceRole'] | undefined {
  if (x === 'readable' || x === 'movable') return x;
  if (x === true) return 'any';
  return undefined;
}

/** One field from a property schema. */
export function fieldOf(name: string, schema: Schema, required: boolean): Field {
  const { s, nullable } = unwrap(schema);
  const items = obj(s.items);
  const plain = PLAIN[name];
  const base = {
    name, title: typeof s.title === 'string' ? s.title : plain?.title ?? name,
    description: plain?.description ?? (typeof s.description === 'string' ? s.description : ''),
    required, nullable, default: s.default,
    ...(typeof s.minimum === 'number' ? { minimum: s.minimum } : {}),
    ...(typeof s.maximum === 'number' ? { maximum: s.maximum } : {}),
  };
  const deviceRole = role(s['x-device']) ?? (s.format === 'device' ? 'any' : undefined);
  if (Array.isArray(s.enum)) return { ...base, kind: 'enum', options: (s.enum as unknown[]).map(String) };
  if (Array.isArray(s['x-row'])) {
    const row = (s['x-row'] as unknown[]).map((c, i) => fieldOf(String(i), obj(c) ?? {}, true));
    return { ...base, kind: 'rows', row };
  }
  switch (s.type) {
    case 'number': case 'integer': return { ...base, kind: s.type };
    case 'boolean': return { ...base, kind: 'boolean' };
    case 'string': return deviceRole === undefined ? { ...base, kind: 'string' } : { ...base, kind: 'device', deviceRole };
    case 'array': {
      const itemRole = items === null ? undefined : role(items['x-device']) ?? (items.format === 'device' ? 'any' : undefined);
      if (itemRole !== undefined) return { ...base, kind: 'devices', deviceRole: itemRole };
      const t = items === null ? undefined : unwrap(items).s.type;
      if (t === 'number' || t === 'integer') return { ...base, kind: 'numbers' };
      if (t === 'string') return { ...base, kind: 'strings' };
      return { ...base, kind: 'json' };
    }
    default: return { ...base, kind: 'json' };
  }
}

/** The fields of a plan's params schema, in declaration order (null schema: no fields). */
export function fieldsOf(schema: unknown): Field[] {
  const s = obj(schema);
  const props = obj(s?.properties);
  if (s === null || props === null) return [];
  const required = new Set(Array.isArray(s.required) ? (s.required as unknown[]).map(String) : []);
  return Object.entries(props).map(([name, p]) => fieldOf(name, obj(p) ?? {}, required.has(name)));
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Cells of the rows of a flat args array (`["motor", -1, 1, "m2", 0, 2]` with 3 cells a row). */
function rowsOf(f: Field, value: unknown): string[][] {
  const width = f.row?.length ?? 1;
  const flat = Array.isArray(value) ? value : [];
  const rows: string[][] = [];
  for (let i = 0; i + width <= flat.length; i += width) rows.push(flat.slice(i, i + width).map((c) => (Array.isArray(c) ? c.join(', ') : text(c))));
  return rows;
}

/** The values a form starts with: the schema's defaults, else its first example, else empty. */
export function initialValue(f: Field, example?: unknown): FieldValue {
  const v = f.default !== undefined ? f.default : example;
  switch (f.kind) {
    case 'boolean': return v === true;
    case 'devices': return Array.isArray(v) ? v.map(String) : [];
    case 'rows': return rowsOf(f, v).length > 0 ? rowsOf(f, v) : [f.row?.map(() => '') ?? []];
    case 'numbers': case 'strings': return Array.isArray(v) ? v.map(String).join(', ') : '';
    case 'json': return v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0) ? '' : JSON.stringify(v);
    default: return text(v);
  }
}

export function initialValues(schema: unknown): FormValues {
  const s = obj(schema);
  const props = obj(s?.properties) ?? {};
  const out: FormValues = {};
  for (const f of fieldsOf(schema)) {
    const ex = obj(props[f.name])?.examples;
    out[f.name] = initialValue(f, Array.isArray(ex) ? ex[0] : undefined);
  }
  return out;
}

function parseNumber(raw: string, integer: boolean): number | string {
  const t = raw.trim();
  const n = Number(t);
  const what = integer ? 'an integer' : 'a number';
  if (t === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) return `expected ${what}, got "${raw}"`;
  return n;
}

function parseCell(f: Field, raw: string, path: string, errors: FormError[]): unknown {
  if (f.kind === 'number' || f.kind === 'integer') {
    const n = parseNumber(raw, f.kind === 'integer');
    if (typeof n === 'string') errors.push({ path, message: `${f.title}: ${n}` });
    return n;
  }
  if (f.kind === 'numbers') {
    const parts = raw.split(/[\s,]+/).filter((p) => p !== '');
    return parts.map((p, i) => {
      const n = parseNumber(p, false);
      if (typeof n === 'string') errors.push({ path: `${path}/${String(i)}`, message: `${f.title}: ${n}` });
      return n;
    });
  }
  return raw.trim();
}

/**
 * The params object for `validate`/`start`. Empty optional inputs are left out
 * (the server fills in defaults); inputs that cannot be parsed are reported
 * with the path the server would use, and nothing is sent.
 */
export function toParams(fields: readonly Field[], values: FormValues): { params: Record<string, unknown>; errors: FormError[] } {
  const params: Record<string, unknown> = {};
  const errors: FormError[] = [];
  for (const f of fields) {
    const v = values[f.name];
    const path = `/params/${f.name}`;
    if (v === undefined) continue;
    switch (f.kind) {
      case 'boolean': params[f.name] = v === true; break;
      case 'devices': params[f.name] = Array.isArray(v) ? v : []; break;
      case 'rows': {
        const rows = (Array.isArray(v) ? v : []) as string[][];
        const flat: unknown[] = [];
        rows.forEach((cells, r) => {
          if (cells.every((c) => c.trim() === '')) return; // an empty row is ignored
          (f.row ?? []).forEach((cf, i) => flat.push(parseCell(cf, cells[i] ?? '', `${path}/${String(r * (f.row?.length ?? 1) + i)}`, errors)));
        });
        params[f.name] = flat;
        break;
      }
      default: {
        const raw = typeof v === 'string' ? v : '';
        if (raw.trim() === '') {
          if (f.required) errors.push({ path, message: `${f.title} is required` });
          break;
        }
        if (f.kind === 'number' || f.kind === 'integer' || f.kind === 'numbers') params[f.name] = parseCell(f, raw, path, errors);
        else if (f.kind === 'strings') params[f.name] = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
        else if (f.kind === 'json') {
          // Any JSON value; text that is not JSON is sent as a string (the seed's "any value" params).
          try { params[f.name] = JSON.parse(raw); } catch { params[f.name] = raw; }
        } else params[f.name] = raw;
      }
    }
  }
  return { params, errors };
}

/** The field a server error path belongs to: `/params/args/4` → `args` (null: the whole request). */
export function fieldOfPath(path: string): string | null {
  const m = /^\/params\/([^/]+)/.exec(path);
  return m === null || m[1] === undefined ? null : m[1].replace(/~1/g, '/').replace(/~0/g, '~');
}
