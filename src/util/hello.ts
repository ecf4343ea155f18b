export const hello = (n: string): string => `hej ${n}`
