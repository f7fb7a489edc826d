/**
 * A JSON body's fields, for the routes that read them field by field (each field checked, its error naming
 * it): a body that is not an object reads as having no fields, whose checks then fail.
 */
export const fieldsOf = (value: unknown): Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
