/**
 * EventBridge event pattern matching, the subset of the documented syntax that rules commonly use:
 * a pattern is an object whose leaf values are arrays of alternatives; an event matches when every
 * field of the pattern matches (AND across fields, OR within an array). An alternative is a literal
 * (string, number, boolean, null: exact match), `{ prefix }`, `{ suffix }`, `{ exists: true|false }`,
 * `{ "anything-but": literal | literal[] }` or `{ numeric: [op, value, ...] }`. A field whose event
 * value is an array matches when any element matches. Unknown operators throw, so an unsupported
 * pattern fails loudly instead of matching wrongly.
 */
export type EventPattern = { readonly [field: string]: EventPattern | readonly unknown[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

const matchesAlternative = (alternative: unknown, present: boolean, value: unknown): boolean => {
  if (!isObject(alternative)) return present && value === alternative;
  const [operator, operand] = Object.entries(alternative)[0] ?? [];
  switch (operator) {
    case 'exists':
      return present === operand;
    case 'prefix':
      return present && typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return present && typeof value === 'string' && value.endsWith(String(operand));
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return present && !excluded.includes(value);
    }
    case 'numeric': {
      if (!present || typeof value !== 'number' || !Array.isArray(operand)) return false;
      for (let i = 0; i < operand.length; i += 2) {
        const compare = NUMERIC[String(operand[i])];
        if (!compare) throw new Error(`event pattern: unsupported numeric operator ${String(operand[i])}`);
        if (!compare(value, Number(operand[i + 1]))) return false;
      }
      return true;
    }
    default:
      throw new Error(`event pattern: unsupported operator ${String(operator)}`);
  }
};

const matchesField = (alternatives: readonly unknown[], present: boolean, value: unknown): boolean => {
  const values = Array.isArray(value) ? value : [value];
  return alternatives.some((alternative) =>
    isObject(alternative) && 'exists' in alternative
      ? matchesAlternative(alternative, present, value)
      : values.some((v) => matchesAlternative(alternative, present, v)),
  );
};

export const matchesPattern = (pattern: unknown, event: unknown): boolean => {
  if (!isObject(pattern)) throw new Error('event pattern: must be a JSON object');
  const target = isObject(event) ? event : {};
  return Object.entries(pattern).every(([field, rule]) => {
    const present = Object.hasOwn(target, field);
    if (Array.isArray(rule)) return matchesField(rule, present, target[field]);
    if (isObject(rule)) return present && matchesPattern(rule, target[field]);
    throw new Error(`event pattern: the value of ${field} must be an array or an object`);
  });
};
