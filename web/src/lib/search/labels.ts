// Words people read for the search contract's enums.
import { SearchMode, SearchStage } from '../../gen/cairn/search/v1/search_pb.js';

export const MODES: { value: SearchMode; label: string; hint: string }[] = [
  { value: SearchMode.HYBRID, label: 'Hybrid', hint: 'words and meaning together' },
  { value: SearchMode.LEXICAL, label: 'Words', hint: 'exact, then prefix, then typo-tolerant' },
  { value: SearchMode.SEMANTIC, label: 'Meaning', hint: 'similar meaning, other words' },
];

const STAGES: Record<number, string> = {
  [SearchStage.EXACT]: 'exact',
  [SearchStage.PREFIX]: 'prefix',
  [SearchStage.TYPO]: 'typo',
  [SearchStage.SEMANTIC]: 'semantic',
};

export function stageLabel(stage: SearchStage): string {
  return STAGES[stage] ?? 'match';
}

/** `items/{id}` → the console's route to that item. */
export function itemRoute(item: string): string {
  return `#/vault/${item}`;
}
