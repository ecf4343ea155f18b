/** What is wrong with one configuration value; the loader names the key and where it came from (ConfigError). */
export class ValueProblem extends Error {}
