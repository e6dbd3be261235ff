/**
 * Converts query-string and path values (always text) to the types their schema declares, and
 * nothing more: `limit=1.5`, `1e2` or `0x10` stay text and then fail validation as "must be
 * integer", instead of quietly becoming 1, 100 or 16. Repeated parameters become arrays.
 *
 * A parameter that takes several values accepts both spellings clients use: the parameter repeated
 * (`action=a&action=b`) and the bracket form (`action[]=a&action[]=b`, as Sanity's Activity API
 * documents it); they may be mixed. This is the only place that knows about brackets: every list
 * parameter of every route gets them, and {@link documentListParameters} says so in the API
 * reference.
 */
type Schema = {
  type?: string;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  description?: string;
};

const INTEGER = /^-?(?:0|[1-9]\d{0,15})$/;
const NUMBER = /^-?(?:0|[1-9]\d{0,15})(?:\.\d{1,16})?$/;
const BRACKETS = '[]';

/** How every list parameter may be spelled; appended to its description in the API reference. */
export const LIST_SYNTAX_NOTE = 'Several values: repeat the parameter (`name=a&name=b`) or use brackets (`name[]=a&name[]=b`).';

function convertScalar(schema: Schema, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  switch (schema.type) {
    case 'integer':
      return INTEGER.test(value) ? Number(value) : value;
    case 'number':
      return NUMBER.test(value) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

/**
 * The request tag every Sanity client appends (`tag=sanity.cli`, `tag=sanity.studio.…`): it means
 * nothing to Gatehouse and is dropped, even on routes that refuse unknown parameters.
 */
const REQUEST_TAG = 'tag';

/**
 * A parsed query string made ready for validation: `name[]` keys of list parameters folded into
 * `name`, and the clients' request tag dropped unless the route declares a `tag` parameter. The
 * same object when there is nothing to do (most requests), so the caller can skip work.
 */
export function normalizeQuery(schema: Schema, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const tag = keys.includes(REQUEST_TAG) && !(schema.properties && Object.hasOwn(schema.properties, REQUEST_TAG));
  if (!tag && !keys.some((key) => key.endsWith(BRACKETS))) return value;
  const out = foldBrackets(schema, value as Record<string, unknown>);
  if (tag) delete out[REQUEST_TAG];
  return out;
}

/** `name[]` keys of list properties folded into `name` (after any plain `name` values, in order). */
function foldBrackets(schema: Schema, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const key of Object.keys(value)) {
    if (!key.endsWith(BRACKETS)) continue;
    const name = key.slice(0, -BRACKETS.length);
    const property = schema.properties && Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
    if (property?.type !== 'array') continue; // not a list parameter: left as an unknown one
    const plain = Object.hasOwn(out, name) ? out[name] : [];
    out[name] = [...(Array.isArray(plain) ? plain : [plain]), ...(Array.isArray(value[key]) ? value[key] : [value[key]])];
    delete out[key];
  }
  return out;
}

export function convertTextValue(schema: Schema, value: unknown): unknown {
  if (schema.anyOf) {
    for (const option of schema.anyOf) {
      const converted = convertTextValue(option, value);
      if (converted !== value) return converted;
    }
    return value;
  }
  if (schema.type === 'array') {
    const list = Array.isArray(value) ? value : [value];
    return schema.items ? list.map((item) => convertTextValue(schema.items as Schema, item)) : list;
  }
  if (schema.type === 'object' && schema.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out = foldBrackets(schema, value as Record<string, unknown>);
    for (const [key, property] of Object.entries(schema.properties)) {
      if (Object.hasOwn(out, key)) out[key] = convertTextValue(property, out[key]);
    }
    return out;
  }
  return convertScalar(schema, value);
}

/**
 * The query schema as the API reference shows it: every list parameter's description ends with
 * {@link LIST_SYNTAX_NOTE}. Validation is unchanged (only descriptions differ).
 */
export function documentListParameters<T>(schema: T): T {
  const object = schema as Schema;
  if (object?.type !== 'object' || !object.properties) return schema;
  const properties: Record<string, Schema> = {};
  let changed = false;
  for (const [name, property] of Object.entries(object.properties)) {
    if (property.type !== 'array' || property.description?.endsWith(LIST_SYNTAX_NOTE)) {
      properties[name] = property;
      continue;
    }
    changed = true;
    properties[name] = withField(property, 'description', [property.description, LIST_SYNTAX_NOTE].filter(Boolean).join(' '));
  }
  return changed ? (withField(object, 'properties', properties) as T) : schema;
}

/** A copy with one field set. Every property is copied as it is, TypeBox's non-enumerable markers too. */
function withField<S extends object>(schema: S, key: string, value: unknown): S {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as S;
  Object.defineProperty(copy, key, { value, writable: true, enumerable: true, configurable: true });
  return copy;
}
