/**
 * JSON columns in SQL. They are TEXT on both engines (the same bytes: schema.pg.sql); SQLite reads them with its
 * json_each table function, PostgreSQL with jsonb_array_elements_text over a cast to jsonb. (Text order and WHERE
 * building: clauses.ts.)
 */

/** A condition: the JSON array of strings in the TEXT expression `json` holds the value of the next `?`. */
export function jsonArrayHas(dialect: 'sqlite' | 'postgres', json: string): string {
  return dialect === 'postgres'
    ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text((${json})::jsonb) AS e(value) WHERE e.value = ?)`
    : `EXISTS (SELECT 1 FROM json_each(${json}) WHERE value = ?)`
}
