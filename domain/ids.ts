/** The product's identifiers: every entity id is a UUID that PostgreSQL's gen_random_uuid() made. */

/** A UUID in its canonical 8-4-4-4-12 hexadecimal form, any case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a string in the form of an entity id (a UUID); a lookup by anything else is a 404. */
export const isId = (value: unknown): value is string => typeof value === 'string' && UUID_PATTERN.test(value);
