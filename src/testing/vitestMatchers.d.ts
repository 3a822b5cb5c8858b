/** Merges dmaown's matchers into Vitest's `expect(...)` types (see matchers.ts). */
import type { DmaownMatchers } from './matchers';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends DmaownMatchers<T> {}
}
