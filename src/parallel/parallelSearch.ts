import type { CheckConfig, LoopOutcome } from '../core/check';
import type { PackedModel } from '../core/model';
import type { SearchState } from '../core/searchState';

export function searchInParallel(_model: PackedModel, _search: SearchState, _cfg: CheckConfig, _started: number): LoopOutcome {
  throw new Error('not yet');
}
