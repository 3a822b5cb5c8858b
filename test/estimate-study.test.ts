/**
 * bench/estimateStudy.ts's arithmetic (the study's searches are the checker's, run by hand; see
 * bench/results.md, "Size estimate"). Expected values are worked out by hand in each title.
 */
import { describe, expect, it } from 'vitest';
import { RULES, worstRatio, type Rule } from '../bench/estimateStudy';

describe('estimate study rules', () => {
  it('geometric counts (x10 a device): every rule is exact', () => {
    const counts = [1, 10, 100, 1000, 10000, 100000];
    for (const rule of Object.values(RULES)) expect(worstRatio(rule, counts, 6)).toBeCloseTo(1, 12);
  });

  it('1, 2, 8, 64 (growth x2, x4, x8): constant 32/64, full 64/64, sqrt (trend sqrt 2, held at 1.25: x5) 40/64', () => {
    const counts = [1, 2, 8, 64];
    expect(worstRatio(RULES.constant, counts, 6)).toBeCloseTo(0.5, 12);
    expect(worstRatio(RULES.full, counts, 6)).toBeCloseTo(1, 12);
    expect(worstRatio(RULES.sqrt, counts, 6)).toBeCloseTo(0.625, 12);
  });

  it('looks ahead at most maxAhead bounds, and needs four counts', () => {
    // From (1, 2, 8) constant growth predicts 32 and 128 against 64 and 512: 0.5, then 0.25.
    expect(worstRatio(RULES.constant, [1, 2, 8, 64, 512], 1)).toBeCloseTo(0.5, 12);
    expect(worstRatio(RULES.constant, [1, 2, 8, 64, 512], 2)).toBeCloseTo(0.25, 12);
    expect(worstRatio(RULES.constant, [1, 2, 8], 6)).toBeNull();
  });

  it('the worst ratio is the one furthest from 1 by factor: 0.5 beats 1.9, 2.1 beats 0.5', () => {
    const ones = [1, 1, 1, 1, 1];
    const rule = (a: number, b: number): Rule => (_three, ahead) => (ahead === 1 ? a : b);
    expect(worstRatio(rule(0.5, 1.9), ones, 2)).toBe(0.5);
    expect(worstRatio(rule(0.5, 2.1), ones, 2)).toBe(2.1);
  });
});
