/**
 * Converts query-string and path values (always text) to the types their schema declares, and
 * nothing more: `limit=1.5`, `1e2` or `0x10` stay text and then fail validation as "must be
 * integer", instead of quietly becoming 1, 100 or 16. Repeated parameters become arrays.
 */
type Schema = {
  type?: string;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
};

const INTEGER = /^-?(?:0|[1-9]\d{0,15})$/;
const NUMBER = /^-?(?:0|[1-9]\d{0,15})(?:\.\d{1,16})?$/;

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
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, property] of Object.entries(schema.properties)) {
      if (Object.hasOwn(out, key)) out[key] = convertTextValue(property, out[key]);
    }
    return out;
  }
  return convertScalar(schema, value);
}
