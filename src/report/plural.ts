/** `n` and `noun`, made plural unless `n` is 1: `plural(1, 'device')` is "1 device", `plural(3, 'device')` "3 devices". */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
