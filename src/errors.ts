/** Bad input from a user (unknown name, malformed JSON, out-of-range value): one line on stderr, exit 2. */
export class InputError extends Error {}
