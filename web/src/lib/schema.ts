// A collection's JSON Schema as the table view needs it: columns, their input types, which may be
// filtered/sorted (x-cairn-queryable), and AIP-160 filter text built from the UI's conditions.

export type ColumnType = 'string' | 'number' | 'integer' | 'boolean' | 'date-time' | 'array' | 'json';

export interface Column {
  key: string;
  title: string;
  type: ColumnType;
  required: boolean;
  queryable: boolean;
  enumValues?: string[];
}

interface PropertySchema {
  type?: string | string[];
  format?: string;
  title?: string;
  enum?: unknown[];
}

export function columns(jsonSchema: string): Column[] {
  if (!jsonSchema.trim()) return [];
  let schema: { properties?: Record<string, PropertySchema>; required?: string[]; 'x-cairn-queryable'?: string[] };
  try {
    schema = JSON.parse(jsonSchema);
  } catch {
    return [];
  }
  const required = new Set(schema.required ?? []);
  const queryable = new Set(schema['x-cairn-queryable'] ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, p]) => ({
    key,
    title: p.title || key,
    type: typeOf(p),
    required: required.has(key),
    queryable: queryable.has(key),
    enumValues: Array.isArray(p.enum) ? p.enum.map(String) : undefined,
  }));
}

function typeOf(p: PropertySchema): ColumnType {
  const t = Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type;
  if (t === 'string' && p.format === 'date-time') return 'date-time';
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean' || t === 'array') return t;
  return 'json';
}

/** Form text → the JSON value to store; undefined leaves the property out. */
export function parseValue(col: Column, raw: string | boolean): unknown {
  if (col.type === 'boolean') return raw === true;
  const text = String(raw).trim();
  if (text === '') return undefined;
  switch (col.type) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      return Number.isNaN(n) ? text : n; // a non-number goes to the server, whose schema says why
    }
    case 'array':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** A stored value → form text. */
export function formatValue(col: Column, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (col.type === 'array' && Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';

export interface Condition {
  field: string;
  op: Operator;
  value: string;
  /** How it joins the condition before it; the first one's is ignored. */
  join?: 'AND' | 'OR';
}

export const OPERATORS: { op: Operator; label: string }[] = [
  { op: '=', label: 'is' },
  { op: '!=', label: 'is not' },
  { op: ':', label: 'contains' },
  { op: '<', label: '<' },
  { op: '<=', label: '≤' },
  { op: '>', label: '>' },
  { op: '>=', label: '≥' },
];

/** The literal for a value in a filter: numbers and booleans bare, strings quoted and escaped. */
export function literal(col: Column | undefined, value: string): string {
  const v = value.trim();
  if (col && (col.type === 'number' || col.type === 'integer') && v !== '' && !Number.isNaN(Number(v))) return v;
  if (col?.type === 'boolean' && (v === 'true' || v === 'false')) return v;
  if (v === 'null') return v;
  return JSON.stringify(v);
}

/**
 * Conditions → AIP-160: `(data.city = "Oslo" OR data.city = "Bergen") AND data.age >= 18`.
 * Conditions joined by OR form a group and groups are ANDed, which is AIP-160's own precedence
 * (OR binds tighter); the parentheses only make that visible to the reader.
 */
export function filterText(conditions: Condition[], cols: Column[]): string {
  const groups: string[][] = [];
  for (const c of conditions) {
    if (!c.field || c.value.trim() === '') continue;
    const term = `data.${c.field} ${c.op} ${literal(cols.find((k) => k.key === c.field), c.value)}`.replace(' : ', ':');
    if (c.join === 'OR' && groups.length) groups.at(-1)!.push(term);
    else groups.push([term]);
  }
  return groups.map((g) => (g.length > 1 && groups.length > 1 ? `(${g.join(' OR ')})` : g.join(' OR '))).join(' AND ');
}
