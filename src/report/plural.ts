/** `n` and `noun`, made plural unless `n` is 1: `plural(1, 'device')` is "1 device", `plural(3, 'call')` "3 calls". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
